import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";

/** One call: who is calling, the customers the number belongs to, and what to do. */
export class PhonePopup extends Component {
    static template = "crm_relationship_phone.PhonePopup";
    static props = {
        call: Object,
        popup: Object,
        collapsedByDefault: { type: Boolean, optional: true },
    };

    setup() {
        // Older calls fold to their header when a new one rings, unless the user unfolds them.
        this.ui = useState({ expanded: undefined });
    }

    get call() {
        return this.props.call;
    }

    get title() {
        return this.call.direction === "outbound" ? _t("Outgoing call") : _t("Incoming call");
    }

    get stateText() {
        const { state, mine, operator } = this.call;
        if (state === "answered") {
            if (mine) {
                return _t("In progress with you");
            }
            if (operator) {
                return _t("In progress with %(operator)s", { operator });
            }
        }
        if (state === "done" && operator && !mine) {
            return _t("Ended, answered by %(operator)s", { operator });
        }
        return this.call.state_label;
    }

    get stateClass() {
        return (
            {
                ringing: "text-bg-warning",
                answered: "text-bg-success",
                missed: "text-bg-danger",
            }[this.call.state] || "text-bg-secondary"
        );
    }

    get isCollapsed() {
        if (this.ui.expanded === undefined) {
            return Boolean(this.props.collapsedByDefault);
        }
        return !this.ui.expanded;
    }

    get summary() {
        if (this.isUnknown) {
            return _t("Unknown number");
        }
        return this.call.customers.map((customer) => customer.name).join(" / ");
    }

    get isUnknown() {
        return !this.call.match_count;
    }

    get hiddenMatchText() {
        const hidden = this.call.match_count - this.call.contacts.length;
        if (this.call.customers.length || hidden <= 0) {
            return "";
        }
        return _t("The number belongs to contacts you may not see.");
    }

    get sharedText() {
        const count = this.call.customers.length;
        return count > 1 ? _t("Number shared by %(count)s customers", { count }) : "";
    }

    contactsText(customer) {
        const names = this.call.contacts
            .filter((contact) => contact.customer_id === customer.id && contact.id !== customer.id)
            .map((contact) => contact.name);
        if (!names.length) {
            return "";
        }
        return names.length === 1
            ? _t("Contact: %(name)s", { name: names[0] })
            : _t("Contacts: %(names)s", { names });
    }

    figuresText(customer) {
        if (!this.call.can_open_card) {
            return "";
        }
        return _t("Equipment: %(equipment)s · Open defects: %(defects)s", {
            equipment: customer.equipment_count || 0,
            defects: customer.open_defect_count || 0,
        });
    }

    onToggle() {
        this.ui.expanded = this.isCollapsed;
    }

    onDismiss() {
        this.props.popup.dismiss(this.call.id);
    }

    onOpenCard(customer) {
        return this.props.popup.openCard(customer.id);
    }

    onLogCall() {
        return this.props.popup.logCall(this.call.id);
    }
}

/** The pop-ups of the calls in progress, the newest on top. */
export class PhonePopupContainer extends Component {
    static template = "crm_relationship_phone.PhonePopupContainer";
    static components = { PhonePopup };
    static props = { popup: Object };

    setup() {
        this.state = useState(this.props.popup.state);
    }
}
