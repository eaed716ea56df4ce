from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools import SQL

from .crm_relationship_tools import SOFT_RELOAD, get_batch_size, notification_action, run_batch

BATCH_SIZE_PARAM = "crm_relationship.event_rule_batch_size"
BATCH_SIZE_DEFAULT = 200


class CrmRelationshipEventRule(models.Model):
    """A customer milestone or warning the managers want to act upon.

    Each rule is one set-based query returning the customers that match it
    now, with a period key (see :meth:`_get_matches_query`); the customers
    that have no log yet for that key get an activity for the responsible
    and, optionally, an e-mail, and a log line that keeps the rule from
    firing again for the same customer and period.
    """

    _name = "crm.relationship.event.rule"
    _description = "Customer Event Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    rule_type = fields.Selection(
        [
            ("invoiced_year", "Invoiced this year above an amount"),
            ("no_purchase", "No purchase for a number of days"),
            ("defect_count", "Defects in the last 12 months"),
            ("segment_change", "Segment changed"),
        ],
        string="Event",
        required=True,
        default="invoiced_year",
    )
    amount = fields.Monetary(
        string="Invoiced Amount",
        currency_field="currency_id",
        help="Untaxed amount invoiced this calendar year, net of credit notes, as on the customer card.",
    )
    days = fields.Integer(string="Days without Purchase", default=180)
    defect_count = fields.Integer(
        string="Number of Defects",
        default=3,
        help="Fires when a customer reports this many defects within 12 months; "
        "the defects already counted in a firing do not count again.",
    )
    segment_from_id = fields.Many2one(
        "crm.relationship.rfm.segment",
        string="From Segment",
        help="Fires only for customers leaving this segment; empty: from any segment.",
    )
    segment_to_id = fields.Many2one(
        "crm.relationship.rfm.segment",
        string="To Segment",
        help="Fires when a customer enters this segment (recorded by the RFM job), "
        "once per change, for changes from the day the rule was created.",
    )
    responsible_type = fields.Selection(
        [("user", "A fixed user"), ("salesperson", "The customer's salesperson")],
        string="Responsible",
        required=True,
        default="salesperson",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible User",
        required=True,
        default=lambda self: self.env.user,
        check_company=True,
        domain="[('share', '=', False)]",
        help="Gets the activity; when the responsible is the salesperson, only for customers without one.",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        required=True,
        default=lambda self: self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False),
        domain="['|', ('res_model', '=', False), ('res_model', '=', 'res.partner')]",
    )
    activity_summary = fields.Char(translate=True)
    mail_template_id = fields.Many2one(
        "mail.template",
        string="E-mail Template",
        domain="[('model', '=', 'res.partner')]",
        help="When set, this e-mail is sent for each customer the rule fires for.",
    )
    log_ids = fields.One2many("crm.relationship.event.log", "rule_id", string="History")
    log_count = fields.Integer(string="Firings", compute="_compute_log_count")
    last_run = fields.Datetime(string="Last Check", readonly=True, copy=False)

    _amount_positive = models.Constraint("CHECK(amount >= 0)", "The amount cannot be negative.")

    def _compute_log_count(self):
        counts = dict(
            self.env["crm.relationship.event.log"]._read_group(
                Domain("rule_id", "in", self.ids), ["rule_id"], ["__count"]
            )
        )
        for rule in self:
            rule.log_count = counts.get(rule, 0)

    @api.constrains("rule_type", "amount", "days", "defect_count", "segment_from_id", "segment_to_id")
    def _check_threshold(self):
        for rule in self:
            if rule.rule_type == "invoiced_year" and rule.amount <= 0:
                raise ValidationError(
                    self.env._("Set the invoiced amount that fires the rule '%s'.", rule.name)
                )
            if rule.rule_type == "no_purchase" and rule.days <= 0:
                raise ValidationError(
                    self.env._("Set the number of days without purchase of '%s'.", rule.name)
                )
            if rule.rule_type == "defect_count" and rule.defect_count <= 0:
                raise ValidationError(self.env._("Set the number of defects of '%s'.", rule.name))
            if rule.rule_type == "segment_change" and not rule.segment_to_id:
                raise ValidationError(
                    self.env._("Set the segment the customers enter for the rule '%s'.", rule.name)
                )
            if rule.rule_type == "segment_change" and rule.segment_from_id == rule.segment_to_id:
                raise ValidationError(
                    self.env._(
                        "The rule '%s' watches customers changing segment: pick two segments.", rule.name
                    )
                )

    @api.readonly
    def action_view_logs(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_event_log_action"
        )
        action["domain"] = [("rule_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    def action_run(self):
        """Check the rules now; return a notification saying how many customers they fired for.

        Firing schedules activities and sends e-mails: only who may edit the
        rules (managers) runs them by hand; the nightly job runs them all.
        Up to one batch of customers (``crm_relationship.event_rule_batch_size``)
        fires in the user's request; more, or while the scheduled action runs,
        the scheduled action is started and fires them in batches.
        """
        self.check_access("write")
        cron = self.env.ref("crm_relationship.ir_cron_crm_relationship_event_rule", raise_if_not_found=False)
        if cron and not cron.sudo().try_lock_for_update(allow_referencing=True):
            return self._run_in_background(cron)
        self.env.flush_all()
        pending = self._get_pending_matches()
        count = sum(len(matches) for matches in pending.values())
        if cron and count > self._get_batch_size() and all(self.mapped("active")):
            return self._run_in_background(cron, count)
        logs = self._evaluate(pending)
        return notification_action(
            self.env._("%s new customer events.", len(logs)), "success" if logs else "info", SOFT_RELOAD
        )

    def _run_in_background(self, cron, count=None):
        cron.sudo()._trigger()
        if count:
            message = self.env._("%s new customer events: they are being created in the background.", count)
        else:
            message = self.env._("The rules are being checked in the background.")
        return notification_action(message)

    @api.model
    def _cron_evaluate(self):
        """Fire the active rules, committing after each batch of customers.

        Each batch (``crm_relationship.event_rule_batch_size`` customers, 200
        by default) schedules its activities, queues its e-mails and logs its
        customers in one transaction. A run stopped by its time budget is
        resumed by the next one, which computes the matches again and skips
        the customers already logged for the period (one log per rule,
        customer and period, which the database guarantees): nobody gets a
        second activity or e-mail.
        """
        rules = self.search(Domain("active", "=", True))
        self.env.flush_all()
        pending = rules._get_pending_matches()
        batch_size = self._get_batch_size()
        remaining = sum(len(matches) for matches in pending.values())
        for rule in rules:
            matches = pending[rule]
            partner_ids = sorted(matches)
            for start in range(0, len(partner_ids), batch_size):
                batch = partner_ids[start : start + batch_size]
                if not run_batch(
                    self.env, remaining, rule._fire, {partner_id: matches[partner_id] for partner_id in batch}
                ):
                    return
                remaining -= len(batch)
                if not self.env["ir.cron"]._commit_progress(len(batch), remaining=remaining):
                    return
            rule.last_run = fields.Datetime.now()

    @api.model
    def _get_batch_size(self):
        return get_batch_size(self.env, BATCH_SIZE_PARAM, BATCH_SIZE_DEFAULT)

    def _evaluate(self, pending=None):
        """Fire every rule of ``self`` for the customers matching it and not fired yet in the period,
        in one transaction. Return the new logs.
        """
        if pending is None:
            self.env.flush_all()
            pending = self._get_pending_matches()
        logs = self.env["crm.relationship.event.log"]
        for rule in self:
            if pending[rule]:
                logs |= rule._fire(pending[rule])
        self.write({"last_run": fields.Datetime.now()})
        return logs

    def _get_pending_matches(self):
        """``{rule: {customer id: (period key, value)}}`` of the customers matching each rule now
        and not logged yet for that period."""
        pending = {}
        for rule in self:
            matches = {
                partner_id: (period_key, value)
                for partner_id, period_key, value in self.env.execute_query(rule._get_matches_query())
            }
            done = rule._get_logged(matches) if matches else set()
            pending[rule] = {pid: match for pid, match in matches.items() if (pid, match[0]) not in done}
        return pending

    def _get_logged(self, matches):
        """``{(customer id, period key)}`` already logged by this rule among ``matches``."""
        self.ensure_one()
        groups = (
            self.env["crm.relationship.event.log"]
            .sudo()
            ._read_group(
                Domain("rule_id", "=", self.id) & Domain("partner_id", "in", list(matches)),
                ["partner_id", "period_key"],
            )
        )
        return {(partner.id, period_key) for partner, period_key in groups}

    def _fire(self, matches):
        """Log, schedule the activities and send the e-mails of ``matches``
        (``{partner id: (period key, value)}``) not already logged."""
        self.ensure_one()
        Log = self.env["crm.relationship.event.log"].sudo()
        done = self._get_logged(matches)
        partners = (
            self.env["res.partner"]
            .sudo()
            .browse([pid for pid, (key, _value) in matches.items() if (pid, key) not in done])
        )
        if not partners:
            return Log
        activities = (
            self.env["mail.activity"]
            .sudo()
            .create([self._prepare_activity_values(partner, matches[partner.id][1]) for partner in partners])
        )
        logs = Log.create(
            [
                {
                    "rule_id": self.id,
                    "partner_id": partner.id,
                    "period_key": matches[partner.id][0],
                    "value": matches[partner.id][1],
                    "description": self._get_event_description(matches[partner.id][1]),
                    "user_id": activity.user_id.id,
                    "activity_id": activity.id,
                    "mail_sent": bool(self.mail_template_id),
                }
                for partner, activity in zip(partners, activities, strict=True)
            ]
        )
        if self.mail_template_id:
            self.mail_template_id.sudo().send_mail_batch(partners.ids)
        return logs

    def _get_responsible(self, partner):
        """The user who gets the activity for ``partner``; override to route differently."""
        if self.responsible_type == "salesperson" and partner.user_id and not partner.user_id.share:
            return partner.user_id
        return self.user_id

    def _prepare_activity_values(self, partner, value):
        """Values of the activity scheduled on ``partner`` when the rule fires; override to add some."""
        self.ensure_one()
        activity_type = self.activity_type_id
        return {
            "res_model_id": self.env["ir.model"]._get_id("res.partner"),
            "res_id": partner.id,
            "activity_type_id": activity_type.id,
            "summary": self.activity_summary or self.name,
            "note": self._get_event_description(value),
            "user_id": self._get_responsible(partner).id,
            "date_deadline": activity_type._get_date_deadline()
            if activity_type
            else fields.Date.context_today(self),
        }

    def _get_event_description(self, value):
        self.ensure_one()
        if self.rule_type == "invoiced_year":
            return self.env._(
                "Invoiced this year: %(amount)s (threshold %(threshold)s).",
                amount=self.currency_id.format(value),
                threshold=self.currency_id.format(self.amount),
            )
        if self.rule_type == "no_purchase":
            return self.env._("No purchase for %s days.", int(value))
        if self.rule_type == "segment_change":
            if self.segment_from_id:
                return self.env._(
                    "Moved from the segment %(before)s to %(after)s (RFM score %(score)s).",
                    before=self.segment_from_id.name,
                    after=self.segment_to_id.name,
                    score=int(value),
                )
            return self.env._(
                "Moved to the segment %(after)s (RFM score %(score)s).",
                after=self.segment_to_id.name,
                score=int(value),
            )
        return self.env._("%s defects reported in the last 12 months.", int(value))

    def _get_matches_query(self):
        """SQL returning ``(customer id, period key, value)`` of the customers matching the rule now.

        One query per rule, whatever the number of customers. Override
        ``_get_matches_query_<rule_type>`` to add a type of rule.
        """
        self.ensure_one()
        return getattr(self, f"_get_matches_query_{self.rule_type}")()

    def _get_matches_query_invoiced_year(self):
        """Customers invoiced more than the amount this calendar year; once per year."""
        today = fields.Date.context_today(self)
        return SQL(
            """
            SELECT m.commercial_partner_id, %(year)s, SUM(m.amount_untaxed_signed)
              FROM account_move m
             WHERE %(invoices)s
               AND m.company_id = %(company)s
               AND m.invoice_date >= %(start)s AND m.invoice_date <= %(today)s
          GROUP BY m.commercial_partner_id
            HAVING SUM(m.amount_untaxed_signed) > %(amount)s
            """,
            invoices=self.env["account.move"]._crm_customer_document_sql("m"),
            year=str(today.year),
            company=self.company_id.id,
            start=date(today.year, 1, 1),
            today=today,
            amount=self.amount,
        )

    def _get_matches_query_no_purchase(self):
        """Customers whose last invoice is older than the days; once per last purchase."""
        today = fields.Date.context_today(self)
        # Of the customer's invoices and credit notes, the invoices only: a credit note is no purchase.
        return SQL(
            """
            SELECT m.commercial_partner_id, MAX(m.invoice_date)::varchar, %(today)s - MAX(m.invoice_date)
              FROM account_move m
             WHERE %(invoices)s AND m.move_type = 'out_invoice' AND m.company_id = %(company)s
          GROUP BY m.commercial_partner_id
            HAVING MAX(m.invoice_date) < %(limit)s
            """,
            invoices=self.env["account.move"]._crm_customer_document_sql("m"),
            today=today,
            company=self.company_id.id,
            limit=today - timedelta(days=self.days),
        )

    def _get_matches_query_defect_count(self):
        """Customers with the number of defects in the last 12 months, counting only the defects
        reported after the rule last fired for them; once per newest defect counted."""
        today = fields.Date.context_today(self)
        return SQL(
            """
            SELECT d.partner_id, MAX(d.date_reported)::varchar, COUNT(*)
              FROM crm_relationship_defect d
         LEFT JOIN (
                    SELECT partner_id, MAX(period_key) AS last_key
                      FROM crm_relationship_event_log
                     WHERE rule_id = %(rule)s
                  GROUP BY partner_id
                ) fired ON fired.partner_id = d.partner_id
             WHERE d.company_id = %(company)s AND d.state != 'rejected' AND d.partner_id IS NOT NULL
               AND d.date_reported >= %(start)s
               AND (fired.last_key IS NULL OR d.date_reported::varchar > fired.last_key)
          GROUP BY d.partner_id
            HAVING COUNT(*) >= %(count)s
            """,
            rule=self.id,
            company=self.company_id.id,
            start=today - relativedelta(months=12),
            count=self.defect_count,
        )

    def _get_matches_query_segment_change(self):
        """Customers of the rule's company recorded entering the segment (from the segment, when
        set) since the rule was created; once per change (the change's id is the period key)."""
        return SQL(
            """
            SELECT mv.partner_id, mv.id::varchar, mv.score_to
              FROM crm_relationship_segment_move mv
             WHERE mv.segment_to_id = %(to)s
               AND (%(source)s::int IS NULL OR mv.segment_from_id = %(source)s::int)
               AND mv.company_id = %(company)s
               AND mv.date >= %(since)s
            """,
            to=self.segment_to_id.id,
            source=self.segment_from_id.id or None,
            company=self.company_id.id,
            since=(self.create_date or fields.Datetime.now()).date(),
        )
