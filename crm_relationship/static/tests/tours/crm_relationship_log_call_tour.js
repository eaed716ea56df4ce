import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_relationship_log_call_tour", {
    steps: () => [
        {
            content: "Open the customer card",
            trigger: ".o_kanban_record:contains('Latteria Tour S.p.A.')",
            run: "click",
        },
        {
            content: "No next action is planned yet",
            trigger: ".o_form_view div[name='crm_alerts']:contains('No next action is planned')",
        },
        {
            content: "Log a call from the card",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_crm_log_call']",
            run: "click",
        },
        {
            content: "The call is pre-filled with the customer",
            trigger: ".o_form_view div[name='partner_id'] input:value('Latteria Tour S.p.A.')",
        },
        {
            content: "Write the subject",
            trigger: ".o_form_view div[name='subject'] input",
            run: "edit Richiesta offerta caldaia",
        },
        {
            content: "Close the call",
            trigger: ".o_form_view .o_statusbar_buttons button[name='action_close']",
            run: "click",
        },
        {
            content: "Describe the next action",
            trigger: ".modal div[name='summary'] input",
            run: "edit Inviare offerta CX-24",
        },
        {
            content: "Confirm the next action",
            trigger: ".modal button[name='action_confirm']",
            run: "click",
        },
        {
            content: "The call is closed",
            trigger: ".o_form_view:not(:has(.modal)) .o_statusbar_buttons:not(:has(button[name='action_close']))",
        },
        {
            content: "Back to the customer card",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains('Latteria Tour S.p.A.')",
            run: "click",
        },
        {
            content: "The next action is on the card",
            trigger: ".o_form_view div[name='crm_next_action_summary']:contains('Inviare offerta CX-24')",
        },
        {
            content: "The call is in the timeline",
            trigger: ".o_form_view div[name='crm_timeline_ids'] .o_data_row:contains('Call'):contains('Richiesta offerta caldaia')",
        },
    ],
});
