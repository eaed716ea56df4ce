from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command

from ..models.crm_relationship_tools import workflow_env


class CrmRelationshipDefectRecall(models.TransientModel):
    """Proactive recall: call or notify the other customers who received the defect's lot.

    The customers are the defect's affected customers not reached yet by an
    earlier recall in the same mode; the user may remove some, never add any.
    The wizard runs the recall: it plans the calls, or records the customers
    to e-mail for the scheduled action; each run is recorded on the report
    (``crm.relationship.defect.recall.log``). The report gives the values of
    the calls and of the record (``_prepare_recall_call_values``,
    ``_prepare_recall_log_values``).
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
        domain="[('model', '=', 'res.partner'), ('use_default_to', '=', True)]",
        default=lambda self: self.env.ref(
            "crm_relationship.crm_relationship_defect_mail_template_recall", raise_if_not_found=False
        ),
    )

    @api.depends("defect_id", "mode")
    def _compute_partner_ids(self):
        traces = self.defect_id._get_traceability()
        for wizard in self:
            if not wizard.defect_id:
                wizard.partner_ids = False
                wizard.reached_partner_count = 0
                continue
            affected = traces[wizard.defect_id]["customers"]
            reached = wizard._get_reached_customers() & affected
            wizard.partner_ids = affected - reached
            wizard.reached_partner_count = len(reached)

    @api.depends("partner_ids")
    def _compute_partner_count(self):
        for wizard in self:
            wizard.partner_count = len(wizard.partner_ids)
            wizard.partner_without_email_count = len(wizard.partner_ids.filtered(lambda p: not p.email))

    @api.readonly
    def onchange(self, values, field_names, fields_spec):
        """The web client traces the affected customers here, before the recall is applied (by
        :meth:`action_apply`, which writes). Only reads: served by a read replica when Odoo has one."""
        return super().onchange(values, field_names, fields_spec)

    def _get_reached_customers(self):
        """Customers already reached by a recall of the report in the wizard's mode."""
        self.ensure_one()
        logs = (
            self.env["crm.relationship.defect.recall.log"]
            .sudo()
            .search([("defect_id", "=", self.defect_id.id), ("mode", "=", self.mode)])
        )
        return self.env["res.partner"].browse(logs.partner_ids.ids)

    def _get_recall_customers(self):
        """The customers to reach: the chosen ones, checked against the defect's affected customers.

        Raises when a chosen customer is not affected by the defect (the list
        may only be narrowed) or when every chosen customer was already
        reached by an earlier recall in the same mode.
        """
        self.ensure_one()
        affected = self.defect_id._get_traceability()[self.defect_id]["customers"]
        chosen = self.env["res.partner"].browse(self.partner_ids.ids)
        if chosen - affected:
            raise UserError(
                self.env._(
                    "Only the customers affected by the defect report can be recalled: "
                    "remove the customers you added."
                )
            )
        customers = chosen - self._get_reached_customers()
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
            calls = self._create_recall_calls(customers)
            return defect.action_view_calls() if calls else {"type": "ir.actions.act_window_close"}
        if not self.template_id:
            raise UserError(self.env._("Choose the e-mail template of the recall."))
        if self.template_id.model != "res.partner":
            raise UserError(self.env._("The recall e-mail template must be a template for contacts."))
        if not self.template_id.use_default_to:
            raise UserError(
                self.env._(
                    "The recall e-mail template must write to each customer: tick its Default Recipients."
                )
            )
        self._queue_recall_mails(customers)
        return {"type": "ir.actions.act_window_close"}

    def _create_recall_log(self, mode, customers, **values):
        """Record the recall of ``customers`` in ``mode`` (``call`` or ``email``) on the report.

        The user proved his right to write the report; the record is an audit
        record nobody edits, created with ``sudo()``.
        """
        self.ensure_one()
        Log = self.env["crm.relationship.defect.recall.log"]
        log = Log.sudo().create(self.defect_id._prepare_recall_log_values(mode, customers, **values))
        return Log.browse(log.ids)

    def _create_recall_calls(self, customers):
        """Plan one open call of the operator to each customer of ``customers`` about the report.

        Customers who already have an open call about the report are left
        out; created in one batch, with the equipment of the customer when it
        holds a single affected unit. The recall is recorded on the report.
        """
        self.ensure_one()
        defect = self.defect_id
        Call = self.env["crm.relationship.call"]
        user = self.user_id or self.env.user
        already = Call.search_fetch(
            [("defect_id", "=", defect.id), ("state", "=", "open"), ("partner_id", "in", customers.ids)],
            ["partner_id"],
        ).partner_id
        customers -= already
        if not customers:
            return Call
        equipment = defect._get_traceability()[defect]["equipment"]
        units = equipment.grouped("partner_id")
        channel = Call._default_channel_id()
        vals_list = []
        for customer in customers:
            values = defect._prepare_recall_call_values(
                customer, units.get(customer, equipment.browse()), user
            )
            values.setdefault("channel_id", channel.id)
            vals_list.append(values)
        calls = workflow_env(Call.with_context(mail_create_nolog=True, tracking_disable=True)).create(
            vals_list
        )
        self._create_recall_log("call", customers, operator_id=user.id, state="done")
        defect.message_post(
            body=self.env._("%(count)s recall calls planned for %(user)s.", count=len(calls), user=user.name),
            subtype_xmlid="mail.mt_note",
        )
        return calls

    def _queue_recall_mails(self, customers):
        """Record a recall by e-mail of ``customers`` with the wizard's template (on ``res.partner``).

        Nothing is rendered here: the customers with an e-mail address are
        recorded as pending on the returned ``crm.relationship.defect.recall.log``,
        and the scheduled action queues their e-mails in batches
        (:meth:`~.CrmRelationshipDefectRecallLog._cron_send_recall_mails`).
        """
        self.ensure_one()
        customers = customers.filtered("email")
        if not customers:
            return self.env["crm.relationship.defect.recall.log"]
        log = self._create_recall_log(
            "email",
            customers,
            template_id=self.template_id.id,
            pending_partner_ids=[Command.set(customers.ids)],
            state="queued",
        )
        self.defect_id.message_post(
            body=self.env._("Recall e-mail queued for %s customers.", len(customers)),
            subtype_xmlid="mail.mt_note",
        )
        log._trigger_recall_mails()
        return log
