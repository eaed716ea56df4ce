from odoo import api, fields, models
from odoo.exceptions import UserError


class CrmRelationshipDefectRecall(models.TransientModel):
    """Proactive recall: call or notify the other customers who received the defect's lot."""

    _name = "crm.relationship.defect.recall"
    _description = "Defect Recall"

    defect_id = fields.Many2one("crm.relationship.defect", string="Defect Report", required=True)
    mode = fields.Selection(
        [("call", "Plan a call to each customer"), ("email", "E-mail each customer")],
        string="Action",
        required=True,
        default="call",
    )
    partner_ids = fields.Many2many(
        "res.partner",
        string="Customers",
        compute="_compute_partner_ids",
        store=True,
        readonly=False,
        help="The other customers who received units of the traced lots; remove the ones to leave out.",
    )
    partner_count = fields.Integer(string="Customer Count", compute="_compute_partner_count")
    partner_without_email_count = fields.Integer(
        string="Customers without E-mail", compute="_compute_partner_count"
    )
    user_id = fields.Many2one(
        "res.users",
        string="Operator",
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
        help="Who makes the calls.",
    )
    template_id = fields.Many2one(
        "mail.template",
        string="E-mail Template",
        domain="[('model', '=', 'res.partner')]",
        default=lambda self: self.env.ref(
            "crm_relationship.crm_relationship_defect_mail_template_recall", raise_if_not_found=False
        ),
    )

    @api.depends("defect_id")
    def _compute_partner_ids(self):
        for wizard in self:
            wizard.partner_ids = wizard.defect_id._get_affected_customers()[0]

    @api.depends("partner_ids")
    def _compute_partner_count(self):
        for wizard in self:
            wizard.partner_count = len(wizard.partner_ids)
            wizard.partner_without_email_count = len(wizard.partner_ids.filtered(lambda p: not p.email))

    def action_apply(self):
        self.ensure_one()
        if not self.partner_ids:
            raise UserError(self.env._("No customer to recall: the list of customers is empty."))
        defect = self.defect_id
        if self.mode == "call":
            calls = defect._create_recall_calls(self.partner_ids, user=self.user_id)
            return defect.action_view_calls() if calls else {"type": "ir.actions.act_window_close"}
        if not self.template_id:
            raise UserError(self.env._("Choose the e-mail template of the recall."))
        defect._queue_recall_mails(self.partner_ids, self.template_id)
        return {"type": "ir.actions.act_window_close"}
