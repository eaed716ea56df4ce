import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_relationship_customer_card_tour", {
    steps: () => [
        {
            content: "Open the customer card from the customers kanban",
            trigger: ".o_kanban_record:contains('Caseificio Tour S.r.l.')",
            run: "click",
        },
        {
            content: "The card warns that no next action is planned",
            trigger: ".o_form_view div[name='crm_alerts']:contains('No next action is planned')",
        },
        {
            content: "The card warns about the overdue invoice",
            trigger: ".o_form_view div[name='crm_alerts']:contains('Overdue invoices')",
        },
        {
            content: "Invoiced this year",
            trigger: ".o_form_view div[name='crm_invoiced_this_year']:contains('1,234.00')",
        },
        {
            content: "Overdue balance",
            trigger: ".o_form_view div[name='crm_amount_overdue']:contains('1,234.00')",
        },
        {
            content: "Offers stat button",
            trigger: ".o_form_view button[name='action_view_crm_quotations'] .o_stat_value:contains('1')",
        },
        {
            content: "The invoice is in the timeline",
            trigger: ".o_form_view div[name='crm_timeline_ids'] .o_data_row:contains('Invoice'):contains('1,234.00')",
        },
        {
            content: "The offer is in the timeline",
            trigger: ".o_form_view div[name='crm_timeline_ids'] .o_data_row:contains('Offer')",
        },
        {
            content: "Open the full timeline",
            trigger: ".o_form_view button[name='action_view_crm_timeline']:contains('Timeline')",
            run: "click",
        },
        {
            content: "The full timeline lists both entries",
            trigger: ".o_list_view .o_data_row:contains('Invoice') ~ .o_data_row:contains('Offer'), .o_list_view .o_data_row:contains('Offer') ~ .o_data_row:contains('Invoice')",
        },
    ],
});
