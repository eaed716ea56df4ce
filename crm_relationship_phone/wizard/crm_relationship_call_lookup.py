from odoo import fields, models


class CrmRelationshipCallLookup(models.TransientModel):
    _inherit = "crm.relationship.call.lookup"

    phone_call_id = fields.Many2one(
        "crm.relationship.phone.call",
        readonly=True,
        groups="crm_relationship.crm_relationship_group_user",
        help="The call of the phone system the operator is identifying: the call logged next records it.",
    )

    def _prepare_call_values(self):
        values = super()._prepare_call_values()
        if self.phone_call_id:
            values["phone_call_id"] = self.phone_call_id.id
            values.update(self.phone_call_id._crm_get_crm_call_times())
        return values
