from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools import SQL

from .crm_relationship_tools import SOFT_RELOAD, get_batch_size, notification_action, run_batch

RFM_SCORE_FIELDS = (
    "crm_rfm_recency",
    "crm_rfm_frequency",
    "crm_rfm_monetary",
    "crm_rfm_score",
    "crm_segment_id",
)
BATCH_SIZE_PARAM = "crm_relationship.rfm_batch_size"
BATCH_SIZE_DEFAULT = 1000


class CrmRelationshipRfmSegment(models.Model):
    """A group of customers by RFM scores (recency, frequency, monetary value).

    Every score is a quintile from 1 (worst fifth of the customers) to 5 (best
    fifth), computed from posted invoices by :meth:`_recompute_rfm`; a customer
    falls in the first active segment, by sequence, whose ranges contain its
    scores.
    """

    _name = "crm.relationship.rfm.segment"
    _description = "Customer Segment (RFM)"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10, help="The first matching segment, in this order, wins.")
    active = fields.Boolean(default=True)
    color = fields.Integer()
    description = fields.Text(
        string="Approach", translate=True, help="How to approach these customers: offers, tone, frequency."
    )
    channel_id = fields.Many2one(
        "crm.relationship.call.channel",
        string="Suggested Channel",
        help="The channel through which these customers are best contacted.",
    )
    recency_min = fields.Integer(string="Recency from", default=1, required=True)
    recency_max = fields.Integer(string="Recency to", default=5, required=True)
    frequency_min = fields.Integer(string="Frequency from", default=1, required=True)
    frequency_max = fields.Integer(string="Frequency to", default=5, required=True)
    monetary_min = fields.Integer(string="Monetary from", default=1, required=True)
    monetary_max = fields.Integer(string="Monetary to", default=5, required=True)
    score_min = fields.Integer(string="Total Score from", default=3, required=True)
    score_max = fields.Integer(string="Total Score to", default=15, required=True)
    partner_count = fields.Integer(string="Customers", compute="_compute_partner_count")

    _ranges_check = models.Constraint(
        "CHECK(recency_min BETWEEN 1 AND 5 AND recency_max BETWEEN 1 AND 5 AND recency_min <= recency_max"
        " AND frequency_min BETWEEN 1 AND 5 AND frequency_max BETWEEN 1 AND 5"
        " AND frequency_min <= frequency_max"
        " AND monetary_min BETWEEN 1 AND 5 AND monetary_max BETWEEN 1 AND 5 AND monetary_min <= monetary_max"
        " AND score_min BETWEEN 3 AND 15 AND score_max BETWEEN 3 AND 15 AND score_min <= score_max)",
        "Scores go from 1 to 5 (total score from 3 to 15) and each range must start before it ends.",
    )

    def _compute_partner_count(self):
        counts = dict(
            self.env["res.partner"]._read_group(
                Domain("crm_segment_id", "in", self.ids), ["crm_segment_id"], ["__count"]
            )
        )
        for segment in self:
            segment.partner_count = counts.get(segment, 0)

    @api.constrains("recency_min", "frequency_min", "monetary_min", "score_min", "score_max")
    def _check_score_reachable(self):
        for segment in self:
            lowest = segment.recency_min + segment.frequency_min + segment.monetary_min
            highest = segment.recency_max + segment.frequency_max + segment.monetary_max
            if segment.score_min > highest or segment.score_max < lowest:
                raise ValidationError(
                    self.env._(
                        "No customer can fall in the segment '%(segment)s': with these ranges the total "
                        "score is between %(lowest)s and %(highest)s.",
                        segment=segment.name,
                        lowest=lowest,
                        highest=highest,
                    )
                )

    @api.readonly
    def action_view_partners(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_relationship.res_partner_action_customer")
        action["domain"] = [("crm_segment_id", "=", self.id)]
        action["context"] = {"create": False}
        action["display_name"] = self.display_name
        return action

    @api.model
    def action_recompute_rfm(self):
        """Recompute the scores and segments of every customer now (managers).

        One set-based statement in the user's request (about 5 s for 100,000
        customers). It never runs beside the scheduled action: while the
        action runs, the user is told so and the action is run again after it.
        """
        self.env["crm.relationship.rfm.segment"].check_access("write")
        cron = self.env.ref("crm_relationship.ir_cron_crm_relationship_rfm", raise_if_not_found=False)
        if cron and not cron.sudo().try_lock_for_update(allow_referencing=True):
            cron.sudo()._trigger()
            return notification_action(
                self.env._(
                    "The scheduled action is recomputing the RFM scores right now: "
                    "they will be up to date in a few minutes."
                )
            )
        count = self.sudo()._recompute_rfm()
        return notification_action(
            self.env._("RFM scores recomputed: %s customers changed.", count), "success", SOFT_RELOAD
        )

    @api.model
    def _cron_recompute_rfm(self):
        """Store the scores and segments that changed, committing after each batch of customers.

        The changes are computed once per run (:meth:`_get_rfm_query`) and
        written ``crm_relationship.rfm_batch_size`` customers at a time (1,000
        by default), each batch with its progress. A run stopped by its time
        budget is resumed by the next one, which computes the changes again:
        the customers already written are no longer different, so none is
        written twice and the result is the one of a single run.
        """
        self.env.flush_all()
        changes = sorted(self.env.execute_query(self._get_rfm_query()))
        batch_size = self._get_batch_size()
        remaining = len(changes)
        for start in range(0, len(changes), batch_size):
            batch = changes[start : start + batch_size]
            if not run_batch(self.env, remaining, self._write_rfm_scores, batch):
                return
            remaining -= len(batch)
            if not self.env["ir.cron"]._commit_progress(len(batch), remaining=remaining):
                break

    @api.model
    def _get_batch_size(self):
        return get_batch_size(self.env, BATCH_SIZE_PARAM, BATCH_SIZE_DEFAULT)

    @api.model
    def _get_rfm_invoice_condition(self):
        """SQL condition on ``account_move m`` selecting the documents RFM counts: the customer's
        invoices and credit notes (``account.move._crm_customer_document_sql``); override to narrow."""
        return self.env["account.move"]._crm_customer_document_sql("m")

    @api.model
    def _get_rfm_query(self):
        """Return the SQL of ``(partner id, recency, frequency, monetary, score, segment id,
        company id)`` for every customer whose scores change, including customers to reset
        (their scores, segment and company are NULL).

        Each commercial partner is scored against the customers of one company:
        its own company when it belongs to one, otherwise the company it bought
        the most from, so amounts in different currencies are never added.
        Recency is the last invoice date, frequency the number of invoices,
        monetary the untaxed invoiced amount net of credit notes, in company
        currency (the definition of the customer card's invoiced figures):
        credit notes count in the monetary value only, they are no purchase.
        Ties are broken by partner id, so a run is deterministic.
        """
        # Credit notes lower the monetary value but are no purchase: recency and frequency count invoices.
        return SQL(
            """
            WITH invoiced AS (
                SELECT m.commercial_partner_id AS partner_id,
                       m.company_id,
                       max(m.invoice_date) FILTER (WHERE m.move_type = 'out_invoice') AS last_date,
                       count(*) FILTER (WHERE m.move_type = 'out_invoice') AS frequency,
                       sum(m.amount_untaxed_signed) AS monetary
                  FROM account_move m
                  JOIN res_partner p ON p.id = m.commercial_partner_id
                 WHERE %(condition)s
                   AND (p.company_id IS NULL OR p.company_id = m.company_id)
              GROUP BY m.commercial_partner_id, m.company_id
            ), chosen AS (
                SELECT DISTINCT ON (partner_id) partner_id, company_id, last_date, frequency, monetary
                  FROM invoiced
                 WHERE last_date IS NOT NULL
              ORDER BY partner_id, monetary DESC, company_id
            ), scored AS (
                SELECT partner_id, company_id,
                       ntile(5) OVER (PARTITION BY company_id ORDER BY last_date, partner_id) AS r,
                       ntile(5) OVER (PARTITION BY company_id ORDER BY frequency, partner_id) AS f,
                       ntile(5) OVER (PARTITION BY company_id ORDER BY monetary, partner_id) AS m
                  FROM chosen
            ), segmented AS (
                SELECT s.partner_id, s.r, s.f, s.m, s.r + s.f + s.m AS score, seg.id AS segment_id,
                       s.company_id
                  FROM scored s
             LEFT JOIN LATERAL (
                        SELECT g.id
                          FROM crm_relationship_rfm_segment g
                         WHERE g.active
                           AND s.r BETWEEN g.recency_min AND g.recency_max
                           AND s.f BETWEEN g.frequency_min AND g.frequency_max
                           AND s.m BETWEEN g.monetary_min AND g.monetary_max
                           AND s.r + s.f + s.m BETWEEN g.score_min AND g.score_max
                      ORDER BY g.sequence, g.id
                         LIMIT 1
                       ) seg ON TRUE
            )
            SELECT p.id, t.r, t.f, t.m, t.score, t.segment_id, t.company_id
              FROM segmented t
         FULL JOIN (SELECT id FROM res_partner WHERE crm_rfm_score IS NOT NULL) scored_before
                ON scored_before.id = t.partner_id
              JOIN res_partner p ON p.id = COALESCE(t.partner_id, scored_before.id)
             WHERE (p.crm_rfm_recency, p.crm_rfm_frequency, p.crm_rfm_monetary, p.crm_segment_id)
                   IS DISTINCT FROM (t.r, t.f, t.m, t.segment_id)
            """,
            condition=self._get_rfm_invoice_condition(),
        )

    @api.model
    def _recompute_rfm(self):
        """Store the RFM scores and segment of every customer in one set-based UPDATE.

        Return the number of customers whose scores or segment changed.
        """
        self.env.flush_all()
        return self._update_rfm_scores(
            SQL("(%s) AS c(partner_id, r, f, m, score, segment_id, company_id)", self._get_rfm_query())
        )

    @api.model
    def _write_rfm_scores(self, rows):
        """Store ``rows`` of :meth:`_get_rfm_query` on the customers whose scores still differ.

        Return the number of customers written.
        """
        if not rows:
            return 0
        return self._update_rfm_scores(
            SQL(
                """unnest(%s::int[], %s::int[], %s::int[], %s::int[], %s::int[], %s::int[], %s::int[])
                   AS c(partner_id, r, f, m, score, segment_id, company_id)""",
                *(list(column) for column in zip(*rows, strict=True)),
            )
        )

    @api.model
    def _update_rfm_scores(self, changes):
        """Store ``changes`` (SQL of a table ``c(partner_id, r, f, m, score, segment_id, company_id)``)
        on the customers whose scores or segment differ; return how many were written.

        The same statement records a :class:`crm.relationship.segment.move` for
        every customer, scored before, whose segment changes (all parts of the
        statement see the customers as they were before it).
        """
        rows = self.env.execute_query(
            SQL(
                """
                WITH changed AS (
                    SELECT c.*, p.crm_segment_id AS segment_before, p.crm_rfm_score AS score_before
                      FROM %(changes)s
                      JOIN res_partner p ON p.id = c.partner_id
                     WHERE (p.crm_rfm_recency, p.crm_rfm_frequency, p.crm_rfm_monetary, p.crm_segment_id)
                           IS DISTINCT FROM (c.r, c.f, c.m, c.segment_id)
                ), updated AS (
                    UPDATE res_partner p
                       SET crm_rfm_recency = c.r,
                           crm_rfm_frequency = c.f,
                           crm_rfm_monetary = c.m,
                           crm_rfm_score = c.score,
                           crm_segment_id = c.segment_id
                      FROM changed c
                     WHERE p.id = c.partner_id
                 RETURNING p.id
                ), moved AS (
                    INSERT INTO crm_relationship_segment_move
                           (partner_id, company_id, date, segment_from_id, segment_to_id, score_from,
                            score_to, score_change, create_uid, create_date, write_uid, write_date)
                    SELECT c.partner_id, COALESCE(c.company_id, p.company_id), %(today)s,
                           c.segment_before, c.segment_id, c.score_before, c.score, c.score - c.score_before,
                           %(uid)s, %(now)s, %(uid)s, %(now)s
                      FROM changed c
                      JOIN res_partner p ON p.id = c.partner_id
                     WHERE c.score_before IS NOT NULL AND c.segment_before IS DISTINCT FROM c.segment_id
                 RETURNING id
                )
                SELECT (SELECT count(*) FROM updated), (SELECT count(*) FROM moved)
                """,
                changes=changes,
                today=fields.Date.context_today(self),
                uid=self.env.uid,
                now=fields.Datetime.now(),
            )
        )
        count, moves = rows[0]
        self.env["res.partner"].invalidate_model(list(RFM_SCORE_FIELDS))
        if moves:
            self.env["crm.relationship.segment.move"].invalidate_model()
            self._trigger_segment_rules()
        return count

    @api.model
    def _trigger_segment_rules(self):
        """Start the event rules' job when customers changed segment and a rule watches segments."""
        rules = self.env["crm.relationship.event.rule"].sudo()
        if rules.search_count([("rule_type", "=", "segment_change")], limit=1):
            cron = self.env.ref(
                "crm_relationship.ir_cron_crm_relationship_event_rule", raise_if_not_found=False
            )
            if cron:
                cron.sudo()._trigger()
