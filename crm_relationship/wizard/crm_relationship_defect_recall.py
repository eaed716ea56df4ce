from odoo import api, fields, models
from odoo.exceptions import UserError


class CrmRelationshipDefectRecall(models.TransientModel):
    """Proactive recall: call or notify the other customers who received the defect's lot.

    The customers are the defect's affected customers not reached yet by an
    earlier recall in the same mode; the user may remove some, never add any.
    Each run is recorded on the report (``crm.relationship.defect.recall.log``).
    """

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
        help="The other customers who received units of the traced lots and were not reached by an "
        "earlier recall; remove the ones to leave out.",
    )
    reached_partner_count = fields.Integer(
        string="Customers Already Reached",
        compute="_compute_partner_ids",
        store=True,
        help="Affected customers reached by an earlier recall in the same way: left out.",
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

    @api.depends("defect_id", "mode")
    def _compute_partner_ids(self):
        for wizard in self:
            if not wizard.defect_id:
                wizard.partner_ids = False
                wizard.reached_partner_count = 0
                continue
            affected = wizard.defect_id._get_affected_customers()[0]
            reached = wizard.defect_id._get_recalled_customers(wizard.mode) & affected
            wizard.partner_ids = affected - reached
            wizard.reached_partner_count = len(reached)

    @api.depends("partner_ids")
    def _compute_partner_count(self):
        for wizard in self:
            wizard.partner_count = len(wizard.partner_ids)
            wizard.partner_without_email_count = len(wizard.partner_ids.filtered(lambda p: not p.email))

    def _get_recall_customers(self):
        """The customers to reach: the chosen ones, checked against the defect's affected customers.

        Raises when a chosen customer is not affected by the defect (the list
        may only be narrowed) or when every chosen customer was already
        reached by an earlier recall in the same mode.
        """
        self.ensure_one()
        defect = self.defect_id
        affected = defect._get_affected_customers()[0]
        chosen = self.env["res.partner"].browse(self.partner_ids.ids)
        if chosen - affected:
            raise UserError(
                self.env._(
                    "Only the customers affected by the defect report can be recalled: "
                    "remove the customers you added."
                )
            )
        customers = chosen - defect._get_recalled_customers(self.mode)
        if not customers:
            raise UserError(
                self.env._("Every chosen customer was already reached by an earlier recall of this report.")
            )
        return customers

    def action_apply(self):
        self.ensure_one()
        defect = self.defect_id
        defect._check_recall_allowed()
        if not self.partner_ids:
            raise UserError(self.env._("No customer to recall: the list of customers is empty."))
        customers = self._get_recall_customers()
        if self.mode == "call":
            operator = self.user_id or self.env.user
            if operator.share or defect.company_id not in operator.company_ids:
                raise UserError(
                    self.env._("The operator of the calls must be an employee of the defect's company.")
                )
            calls = defect._create_recall_calls(customers, user=operator)
            return defect.action_view_calls() if calls else {"type": "ir.actions.act_window_close"}
        if not self.template_id:
            raise UserError(self.env._("Choose the e-mail template of the recall."))
        if self.template_id.model != "res.partner":
            raise UserError(self.env._("The recall e-mail template must be a template for contacts."))
        defect._queue_recall_mails(customers, self.template_id)
        return {"type": "ir.actions.act_window_close"}
