from odoo import api, fields, models


class CrmRelationshipPbxExtension(models.Model):
    """The extension (internal number) of an Odoo user on a PBX: calls the PBX
    reports for this extension pop up on the user's screen, and the user dials
    from it."""

    _name = "crm.relationship.pbx.extension"
    _description = "PBX Extension"
    _order = "pbx_id, name"
    _check_company_auto = True

    name = fields.Char(string="Extension", required=True)
    pbx_id = fields.Many2one(
        "crm.relationship.pbx", string="PBX", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="pbx_id.company_id", store=True, index=True)
    user_id = fields.Many2one(
        "res.users",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
        domain="[('share', '=', False)]",
    )

    _pbx_name_uniq = models.Constraint(
        "UNIQUE(pbx_id, name)", "This extension is already given to a user on this PBX."
    )
    _pbx_user_uniq = models.Constraint(
        "UNIQUE(pbx_id, user_id)", "This user already has an extension on this PBX."
    )

    @api.depends("pbx_id", "name")
    def _compute_display_name(self):
        for extension in self:
            extension.display_name = f"{extension.pbx_id.name} / {extension.name}"
