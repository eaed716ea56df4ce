import { reactive } from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { registry } from "@web/core/registry";
import { PhonePopupContainer } from "./phone_popup";

/** Bus notification type of a call (``crm.relationship.phone.call``, ``NOTIFICATION_TYPE``). */
export const NOTIFICATION_TYPE = "crm_relationship_phone/call";
/** Milliseconds a call answered by another operator stays on the screen. */
export const ANSWERED_ELSEWHERE_DELAY = 8000;
/** Pop-ups shown at most: beyond, the oldest one goes. */
export const MAX_POPUPS = 5;
/** Dismissed calls remembered, so that their later updates do not show them again. */
const MAX_DISMISSED = 200;

/**
 * The operator's pop-up: every call the PBX reports for the user's extension or
 * queues arrives on the bus with what the user may see of it (the payload of
 * ``crm.relationship.phone.call._crm_get_popup_values``) and shows at once.
 *
 * A call has one pop-up, replaced by each update of the call. A call answered
 * (or ended) by another operator leaves the screen after a few seconds; a call
 * of the user's own, or that nobody answered, stays until the user dismisses
 * it, and a dismissed call comes back only when it is transferred to the user.
 */
export const crmPhonePopupService = {
    dependencies: ["bus_service", "orm", "action"],

    start(env, { bus_service: busService, orm, action }) {
        const state = reactive({ calls: [] }); // the newest first
        const dismissed = new Map(); // call id -> whether it was the user's call when dismissed
        const timers = new Map();

        function clearTimer(id) {
            if (timers.has(id)) {
                browser.clearTimeout(timers.get(id));
                timers.delete(id);
            }
        }

        function dismiss(id) {
            clearTimer(id);
            const index = state.calls.findIndex((call) => call.id === id);
            dismissed.set(id, index >= 0 && Boolean(state.calls[index].mine));
            if (dismissed.size > MAX_DISMISSED) {
                dismissed.delete(dismissed.keys().next().value);
            }
            if (index >= 0) {
                state.calls.splice(index, 1);
            }
        }

        function isAnsweredElsewhere(call) {
            return ["answered", "done"].includes(call.state) && !call.mine;
        }

        function onCall(call) {
            if (!call || !call.id) {
                return;
            }
            if (dismissed.has(call.id)) {
                if (!call.mine || dismissed.get(call.id)) {
                    return;
                }
                dismissed.delete(call.id); // transferred to the user
            }
            clearTimer(call.id);
            const index = state.calls.findIndex((shown) => shown.id === call.id);
            if (index >= 0) {
                state.calls.splice(index, 1, call);
            } else {
                state.calls.unshift(call);
                while (state.calls.length > MAX_POPUPS) {
                    // The oldest goes first, unless it is the user's call in progress.
                    const oldest =
                        state.calls
                            .slice(1)
                            .findLast((shown) => !(shown.mine && shown.state === "answered")) ||
                        state.calls.at(-1);
                    dismiss(oldest.id);
                }
            }
            if (isAnsweredElsewhere(call)) {
                timers.set(
                    call.id,
                    browser.setTimeout(() => dismiss(call.id), ANSWERED_ELSEWHERE_DELAY)
                );
            }
        }

        async function openCard(customerId) {
            const cardAction = await orm.call("res.partner", "action_open_crm_card", [
                [customerId],
            ]);
            await action.doAction(cardAction);
        }

        async function logCall(callId) {
            const callAction = await orm.call("crm.relationship.phone.call", "action_log_call", [
                [callId],
            ]);
            await action.doAction(callAction);
        }

        const popup = { state, dismiss, openCard, logCall };
        registry.category("main_components").add("crm_relationship_phone.PhonePopupContainer", {
            Component: PhonePopupContainer,
            props: { popup },
        });
        busService.subscribe(NOTIFICATION_TYPE, onCall);
        busService.start();
        return popup;
    },
};

registry.category("services").add("crm_relationship_phone.popup", crmPhonePopupService);
