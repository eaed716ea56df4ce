import { registry } from "@web/core/registry";

// A 1x1 pixel PNG picture: the customer's photo of the problem.
const PHOTO_PNG =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

/** Put a file in a file input, as a customer choosing it in the browser's dialog does. */
async function fillInFileInput(input, name, type, content) {
    const blob = await (await fetch(`data:${type};base64,${content}`)).blob();
    const dataTransfer = new DataTransfer();
    dataTransfer.items.add(new File([blob], name, { type }));
    input.files = dataTransfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
}

registry.category("web_tour.tours").add("crm_relationship_portal_tour", {
    steps: () => [
        {
            content: "Open My equipment from the portal's home",
            trigger: ".o_portal_index_card a[href='/my/equipment']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Open the unit by its serial number",
            trigger: ".o_crm_portal_equipment_row a:contains('SN-A-0001')",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The unit's page shows its serial number and its warranty",
            trigger: ".o_crm_portal_equipment:has(.o_crm_portal_serial:contains('SN-A-0001')):has(.o_crm_portal_warranty)",
        },
        {
            content: "Report a problem about the unit",
            trigger: "a.o_crm_portal_report_problem",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The form proposes the unit",
            trigger: "select[name='equipment_id'] option:selected:contains('SN-A-0001'):not(:visible)",
        },
        {
            content: "Describe the problem",
            trigger: "textarea[name='description']",
            run: "edit Il display si spegne dopo pochi minuti",
        },
        {
            content: "Attach a photo",
            trigger: "input.o_crm_portal_attachments",
            async run() {
                await fillInFileInput(
                    document.querySelector("input.o_crm_portal_attachments"),
                    "foto-guasto.png",
                    "image/png",
                    PHOTO_PNG
                );
            },
        },
        {
            content: "Be contacted by e-mail",
            trigger: "select[name='preferred_channel']",
            run: "select email",
        },
        {
            content: "Send the report",
            trigger: "button.o_crm_portal_submit",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The report is sent, with the photo",
            trigger: ".o_crm_portal_report_sent",
        },
        {
            content: "The photo is among the report's files",
            trigger: ".o_crm_portal_attachment:contains('foto-guasto.png')",
        },
        {
            content: "Back to My requests",
            trigger: ".o_portal_submenu a[href='/my/requests']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The new request is in the list, about the unit",
            trigger: ".o_crm_portal_request_row:contains('SN-A-0001'):contains('New')",
        },
    ],
});
