from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL


class CrmRelationshipEventRule(models.Model):
    _inherit = "crm.relationship.event.rule"

    # public: event rules are read by Customer Relationship users only (model access)
    rule_type = fields.Selection(
        selection_add=[("unhappy", "Unhappy customer")], ondelete={"unhappy": "cascade"}
    )
    # public: event rules are read by Customer Relationship users only (model access)
    rating_count = fields.Integer(
        string="Number of Unhappy Answers",
        default=2,
        help="Fires when a customer answers 'Unhappy' to this many satisfaction requests within 12 months; "
        "the answers already counted in a firing do not count again.",
    )

    @api.constrains("rule_type", "rating_count")
    def _check_rating_count(self):
        for rule in self:
            if rule.rule_type == "unhappy" and rule.rating_count <= 0:
                raise ValidationError(self.env._("Set the number of unhappy answers of '%s'.", rule.name))

    def _get_event_description(self, value):
        self.ensure_one()
        if self.rule_type == "unhappy":
            return self.env._(
                "%s unhappy answers to satisfaction requests in the last 12 months.", int(value)
            )
        return super()._get_event_description(value)

    def _get_matches_query_unhappy(self):
        """Customers with the number of unhappy answers in the last 12 months, counting only the
        answers given after the rule last fired for them; once per newest answer counted. The callers
        flush first (see ``_get_pending_matches``)."""
        Report = self.env["crm.relationship.satisfaction.report"]
        since = fields.Datetime.now() - relativedelta(months=12)
        return SQL(
            """
            SELECT s.partner_id, MAX(s.rated_on)::varchar, COUNT(*)
              FROM (%(report)s) s
         LEFT JOIN (
                    SELECT partner_id, MAX(period_key) AS last_key
                      FROM crm_relationship_event_log
                     WHERE rule_id = %(rule)s
                  GROUP BY partner_id
                ) fired ON fired.partner_id = s.partner_id
             WHERE s.company_id = %(company)s AND s.unhappy_count = 1 AND s.rated_on >= %(since)s
               AND (fired.last_key IS NULL OR s.rated_on::varchar > fired.last_key)
          GROUP BY s.partner_id
            HAVING COUNT(*) >= %(count)s
            """,
            report=Report._table_query,
            rule=self.id,
            company=self.company_id.id,
            since=since,
            count=self.rating_count,
        )
