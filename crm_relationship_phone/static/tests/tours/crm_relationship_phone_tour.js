import { registry } from "@web/core/registry";

// The key of the PBX created by tests/test_crm_relationship_phone_tour.py.
const PBX_KEY = "crm-phone-popup-tour-6mQv2ZbT9kLr4xWc8NsYd";

/** Wait until the web client's websocket is connected: the pop-up comes through it. */
async function waitForBus() {
    const bus = odoo.__WOWL_DEBUG__.root.env.services.bus_service;
    await new Promise((resolve) => {
        bus.addEventListener("BUS:CONNECT", resolve, { once: true });
        if (bus.workerState === "CONNECTED") {
            resolve();
        }
    });
}

/** Post a call event as the PBX does, with its key; the browser's session names the database. */
async function postEvent(event) {
    const response = await fetch("/crm_relationship_phone/event", {
        method: "POST",
        headers: { Authorization: `Bearer ${PBX_KEY}`, "Content-Type": "application/json" },
        body: JSON.stringify(event),
    });
    const body = await response.json();
    if (!response.ok) {
        throw new Error(`The PBX event was refused (${response.status}): ${JSON.stringify(body)}`);
    }
    return body;
}

function popup(pbxCallId) {
    return `.o_crm_phone_popup[data-pbx-call-id='${pbxCallId}']`;
}

registry.category("web_tour.tours").add("crm_relationship_phone_popup_tour", {
    steps: () => [
        {
            content: "Once the web client listens, the PBX reports a call ringing on the operator's extension",
            trigger: ".o_web_client .o_navbar",
            async run() {
                await waitForBus();
                await postEvent({
                    call_id: "popup-tour-1",
                    event: "ringing",
                    direction: "inbound",
                    number: "0039 0471 555 0142",
                    extension: "201",
                });
            },
        },
        {
            content: "The pop-up shows the customer of the number, its contact and its alert",
            trigger: `${popup("popup-tour-1")}[data-state='ringing'] .o_crm_phone_popup_customer:contains('Caseificio Popup S.r.l.'):contains('Giulia Verdi'):contains('No next action is planned with this customer.')`,
        },
        {
            content: "It is an incoming call from the number as the PBX gave it",
            trigger: `${popup("popup-tour-1")}:has(.o_crm_phone_popup_title:contains('Incoming call')):has(.o_crm_phone_popup_number:contains('0039 0471 555 0142'))`,
            async run() {
                await postEvent({
                    call_id: "popup-tour-1",
                    event: "answered",
                    direction: "inbound",
                    number: "0039 0471 555 0142",
                    extension: "201",
                });
            },
        },
        {
            content: "The operator answered: the same pop-up now shows the call in progress",
            trigger: `${popup("popup-tour-1")}[data-state='answered'] .o_crm_phone_popup_state:contains('In progress with you')`,
            async run() {
                const shown = document.querySelectorAll(popup("popup-tour-1")).length;
                if (shown !== 1) {
                    throw new Error(
                        `The update of the call must replace its pop-up, found ${shown}.`
                    );
                }
                await postEvent({
                    call_id: "popup-tour-2",
                    event: "ringing",
                    direction: "inbound",
                    number: "+39 049 5550177",
                    extension: "201",
                });
            },
        },
        {
            content: "A number shared by the contacts of two customers shows both customers",
            trigger: `${popup("popup-tour-2")}:has(.o_crm_phone_popup_customer:contains('Rossi Impianti Popup S.p.A.'):contains('Marco Rossi')):has(.o_crm_phone_popup_customer:contains('Bianchi Forniture Popup S.r.l.'):contains('Luca Bianchi'))`,
        },
        {
            content: "Each of them with its own card button",
            trigger: `${popup("popup-tour-2")}:has(.o_crm_phone_popup_customer:contains('Rossi Impianti Popup S.p.A.') .o_crm_phone_popup_open_card):has(.o_crm_phone_popup_customer:contains('Bianchi Forniture Popup S.r.l.') .o_crm_phone_popup_open_card)`,
            async run() {
                await postEvent({
                    call_id: "popup-tour-3",
                    event: "ringing",
                    direction: "inbound",
                    number: "+39 0471 555 0199",
                    extension: "201",
                });
            },
        },
        {
            content: "An unknown number offers to create the contact",
            trigger: `${popup("popup-tour-3")}:has(.o_crm_phone_popup_unknown) .o_crm_phone_popup_new_contact`,
            run: "click",
        },
        {
            content: "The caller lookup opens on the number",
            trigger: ".modal div[name='phone'] input:value('+39 0471 555 0199')",
        },
        {
            content: "It offers to create the contact",
            trigger: ".modal div[name='new_contact_name'] input",
        },
        {
            content: "Close the caller lookup",
            trigger: ".modal .modal-footer button:contains('Discard')",
            run: "click",
        },
        {
            content: "Dismiss the pop-up of the unknown number",
            trigger: `body:not(:has(.modal)) ${popup("popup-tour-3")} .o_crm_phone_popup_close`,
            run: "click",
        },
        {
            content: "The pop-up is gone, the others stay",
            trigger: `.o_crm_phone_popup_container:not(:has(${popup("popup-tour-3")})):has(${popup("popup-tour-1")}):has(${popup("popup-tour-2")})`,
        },
        {
            content: "The older call folded to its header when the others rang; unfold it",
            trigger: `${popup("popup-tour-1")}.o_crm_phone_popup_collapsed .o_crm_phone_popup_summary:contains('Caseificio Popup S.r.l.')`,
            run: "click",
        },
        {
            content: "Open the card of the customer calling",
            trigger: `${popup("popup-tour-1")} .o_crm_phone_popup_customer:contains('Caseificio Popup S.r.l.') .o_crm_phone_popup_open_card`,
            run: "click",
        },
        {
            content: "The card of the customer opens",
            trigger: ".o_form_view .oe_title div[name='name']:contains('Caseificio Popup S.r.l.')",
        },
        {
            content: "The call logged itself: it is in the card's timeline",
            trigger: ".o_form_view div[name='crm_timeline_ids'] .o_data_row:contains('Incoming call from 0039 0471 555 0142')",
        },
        {
            content: "Log the call from the pop-up",
            trigger: `${popup("popup-tour-1")} .o_crm_phone_popup_log_call`,
            run: "click",
        },
        {
            content: "The customer call that logged itself opens",
            trigger: ".o_form_view div[name='subject'] input:value('Incoming call from 0039 0471 555 0142'), .o_form_view div[name='subject'] span:contains('Incoming call from 0039 0471 555 0142')",
        },
        {
            content: "It is the call of the customer",
            trigger: ".o_form_view div[name='partner_id']:contains('Caseificio Popup S.r.l.'), .o_form_view div[name='partner_id'] input:value('Caseificio Popup S.r.l.')",
            async run() {
                await postEvent({
                    call_id: "popup-tour-4",
                    event: "ringing",
                    direction: "inbound",
                    number: "+39 0471 5550142",
                    queue: "600",
                });
            },
        },
        {
            content: "A call ringing on the operator's queue pops up",
            trigger: `${popup("popup-tour-4")}[data-state='ringing'] .o_crm_phone_popup_customer:contains('Caseificio Popup S.r.l.')`,
            async run() {
                await postEvent({
                    call_id: "popup-tour-4",
                    event: "answered",
                    direction: "inbound",
                    number: "+39 0471 5550142",
                    queue: "600",
                    extension: "202",
                });
            },
        },
        {
            content: "A colleague answered: the pop-up says who",
            trigger: `${popup("popup-tour-4")}[data-state='answered'] .o_crm_phone_popup_state:contains('In progress with Ernesto Collega')`,
        },
        {
            content: "Then it leaves the operator's screen by itself",
            trigger: `.o_crm_phone_popup_container:has(${popup("popup-tour-1")}):not(:has(${popup("popup-tour-4")}))`,
            timeout: 30000,
            async run() {
                await postEvent({
                    call_id: "popup-tour-4",
                    event: "hangup",
                    direction: "inbound",
                    number: "+39 0471 5550142",
                    queue: "600",
                    extension: "202",
                });
                await postEvent({
                    call_id: "popup-tour-5",
                    event: "ringing",
                    direction: "inbound",
                    number: "+39 0471 555 0199",
                    queue: "600",
                });
            },
        },
        {
            content: "The next call pops up; the end of the colleague's call did not bring its pop-up back",
            trigger: `.o_crm_phone_popup_container:has(${popup("popup-tour-5")}[data-state='ringing'])`,
            async run() {
                if (document.querySelector(popup("popup-tour-4"))) {
                    throw new Error(
                        "The call answered by a colleague came back after it left the screen."
                    );
                }
                await postEvent({
                    call_id: "popup-tour-5",
                    event: "missed",
                    direction: "inbound",
                    number: "+39 0471 555 0199",
                    queue: "600",
                });
            },
        },
        {
            content: "Nobody answered: the pop-up stays and says so",
            trigger: `${popup("popup-tour-5")}[data-state='missed'] .o_crm_phone_popup_state:contains('Not Answered')`,
        },
        {
            content: "Dismiss it",
            trigger: `${popup("popup-tour-5")} .o_crm_phone_popup_close`,
            run: "click",
        },
        {
            content: "It is gone",
            trigger: `.o_crm_phone_popup_container:has(${popup("popup-tour-1")}):not(:has(${popup("popup-tour-5")}))`,
        },
    ],
});
