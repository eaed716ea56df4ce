from odoo import fields, models


class CrmRelationshipPbxKey(models.TransientModel):
    """Shows a new PBX key once: only its hash is kept on the PBX."""

    _name = "crm.relationship.pbx.key"
    _description = "New PBX Key"

    pbx_id = fields.Many2one(
        "crm.relationship.pbx", string="PBX", required=True, readonly=True, ondelete="cascade"
    )
    key = fields.Char(readonly=True)
    endpoint_url = fields.Char(string="Endpoint", compute="_compute_endpoint_url")

    def _compute_endpoint_url(self):
        for wizard in self:
            wizard.endpoint_url = wizard.pbx_id._crm_get_endpoint_url()
