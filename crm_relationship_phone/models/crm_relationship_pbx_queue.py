from odoo import api, fields, models


class CrmRelationshipPbxQueue(models.Model):
    """A queue (ring group, hunt group) of a PBX: a call ringing on the queue pops
    up on the screens of its members; when nobody answers, its responsible gets
    the call-back."""

    _name = "crm.relationship.pbx.queue"
    _description = "PBX Queue"
    _order = "pbx_id, code"
    _check_company_auto = True

    name = fields.Char(required=True)
    code = fields.Char(required=True, help="The number or name the PBX gives the queue in its events.")
    pbx_id = fields.Many2one(
        "crm.relationship.pbx", string="PBX", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="pbx_id.company_id", store=True, index=True)
    user_ids = fields.Many2many(
        "res.users",
        "crm_relationship_pbx_queue_res_users_rel",
        "queue_id",
        "user_id",
        string="Members",
        check_company=True,
        domain="[('share', '=', False)]",
    )
    responsible_id = fields.Many2one(
        "res.users",
        string="Call-back Responsible",
        check_company=True,
        domain="[('share', '=', False)]",
        help="Plans the call-back of the calls nobody answered; the PBX's responsible when empty.",
    )
    department = fields.Selection(
        selection=lambda self: self.env["crm.relationship.call"]._selection_department(),
        help="The department of the calls of this queue; the operator's usual one when empty.",
    )

    _pbx_code_uniq = models.Constraint("UNIQUE(pbx_id, code)", "This queue already exists on this PBX.")

    @api.depends("pbx_id", "name", "code")
    def _compute_display_name(self):
        for queue in self:
            queue.display_name = f"{queue.name} ({queue.code})"
