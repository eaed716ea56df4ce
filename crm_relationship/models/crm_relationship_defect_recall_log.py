from collections import defaultdict

from odoo import api, fields, models
from odoo.fields import Command
from odoo.tools import SQL

BATCH_SIZE_PARAM = "crm_relationship.recall_mail_batch_size"
BATCH_SIZE_DEFAULT = 500


class CrmRelationshipDefectRecallLog(models.Model):
    """One run of the recall of a defect report: who, when, how, which customers.

    Created by the recall wizard only (an audit record: users read it, nobody
    edits it). A recall by e-mail keeps the customers still to be e-mailed in
    ``pending_partner_ids``; the scheduled action queues their e-mails in
    batches through the template, so a recall of thousands of customers never
    renders them inside the user's request.
    """

    _name = "crm.relationship.defect.recall.log"
    _description = "Defect Recall"
    _order = "date desc, id desc"
    _rec_name = "defect_id"

    defect_id = fields.Many2one(
        "crm.relationship.defect", string="Defect Report", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="defect_id.company_id", store=True, index=True)
    user_id = fields.Many2one("res.users", string="Run By", required=True, default=lambda self: self.env.user)
    date = fields.Datetime(string="Run On", required=True, default=fields.Datetime.now)
    mode = fields.Selection(
        [("call", "Calls"), ("email", "E-mails")], string="Action", required=True, default="call"
    )
    operator_id = fields.Many2one("res.users", help="Who makes the calls.")
    template_id = fields.Many2one("mail.template", string="E-mail Template")
    partner_ids = fields.Many2many(
        "res.partner",
        "crm_relationship_defect_recall_log_partner_rel",
        "log_id",
        "partner_id",
        string="Customers",
        help="The customers this recall reaches.",
    )
    partner_count = fields.Integer(string="Customer Count", compute="_compute_partner_count")
    pending_partner_ids = fields.Many2many(
        "res.partner",
        "crm_relationship_defect_recall_log_pending_rel",
        "log_id",
        "partner_id",
        string="Customers Still to E-mail",
    )
    mail_count = fields.Integer(string="E-mails Queued", default=0)
    state = fields.Selection(
        [("queued", "E-mails Being Queued"), ("done", "Done")], string="Status", required=True, default="done"
    )

    @api.depends("partner_ids")
    def _compute_partner_count(self):
        for log in self:
            log.partner_count = len(log.partner_ids)

    @api.model
    def _trigger_recall_mails(self):
        cron = self.env.ref(
            "crm_relationship.ir_cron_crm_relationship_defect_recall_mail", raise_if_not_found=False
        )
        if cron:
            cron.sudo()._trigger()

    @api.model
    def _get_batch_size(self):
        try:
            size = int(self.env["ir.config_parameter"].sudo().get_param(BATCH_SIZE_PARAM, BATCH_SIZE_DEFAULT))
        except (TypeError, ValueError):
            size = BATCH_SIZE_DEFAULT
        return max(size, 1)

    @api.model
    def _cron_send_recall_mails(self):
        """Render and queue the pending recall e-mails, one committed batch at a time.

        A batch queues its e-mails and removes its customers from the pending
        ones in the same transaction, so a run stopped or interrupted between
        two batches resumes with the next customer and nobody gets the e-mail
        twice. The recall being processed is locked for the batch: a second
        worker skips it (or fails to commit, and retries later) rather than
        rendering the same e-mails.
        """
        batch_size = self._get_batch_size()
        Cron = self.env["ir.cron"]
        while True:
            log = self.search([("state", "=", "queued")], order="id").try_lock_for_update(limit=1)
            if not log:
                break
            done = log._send_pending_mails(batch_size)
            [(remaining,)] = self.env.execute_query(
                SQL(
                    """SELECT count(*)
                         FROM crm_relationship_defect_recall_log_pending_rel pending
                         JOIN crm_relationship_defect_recall_log log ON log.id = pending.log_id
                        WHERE log.state = 'queued'"""
                )
            )
            if Cron._commit_progress(done, remaining=remaining) <= 0:
                break

    def _send_pending_mails(self, batch_size):
        """Queue the e-mails of the next ``batch_size`` pending customers of this recall.

        Returns the number of customers processed, e-mailed or not (a
        customer without address, or a recall whose template or report is
        gone, is only removed from the pending ones).
        """
        self.ensure_one()
        log = self.sudo()  # the scheduled action's bookkeeping, whoever runs it
        customers = log.pending_partner_ids.sorted("id")[:batch_size]
        if customers and log.template_id and log.defect_id:
            log.mail_count += len(log._send_recall_mails(customers.filtered("email")))
        remaining = log.pending_partner_ids - customers
        values = {"pending_partner_ids": [Command.set(remaining.ids)]}
        if not remaining or not log.template_id or not log.defect_id:
            values.update(state="done", pending_partner_ids=[Command.clear()])
        log.write(values)
        if customers:
            self.env["crm.relationship.defect"]._trigger_mail_queue()
        return len(customers)

    def _send_recall_mails(self, customers):
        """Queue the recall e-mail of ``customers`` (``res.partner``) and return the ``mail.mail``.

        The template is rendered on the customers in one batch
        (``mail.template.send_mail_batch``), in each customer's language, as
        the user who ran the recall, in the report's company; each e-mail
        goes to its customer (the template's default recipients) and replies
        come back on the customer's thread through the catchall. Left to
        Odoo's mail queue.
        """
        self.ensure_one()
        author = self.user_id.partner_id
        template = (
            self.template_id.with_user(self.user_id)
            .with_company(self.defect_id.company_id)
            .with_context(crm_defect_id=self.defect_id.id)
        )
        reply_to = customers.sudo()._notify_get_reply_to(author_id=author.id)
        customers_by_reply_to = defaultdict(list)
        for customer in customers:
            customers_by_reply_to[reply_to[customer.id]].append(customer.id)
        mails = self.env["mail.mail"].sudo()
        for address, customer_ids in customers_by_reply_to.items():
            mails |= template.send_mail_batch(
                customer_ids,
                email_values={
                    "author_id": author.id,
                    "reply_to": address,
                    "message_type": "email_outgoing",
                    "is_notification": False,
                },
            )
        return mails
