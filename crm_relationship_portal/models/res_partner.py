from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, format_date

from odoo.addons.rating.models.rating_data import RATING_TEXT, _rating_to_text

# An unhappy answer shows on the card for this many days.
UNHAPPY_ALERT_DAYS = 90


class ResPartner(models.Model):
    _inherit = "res.partner"

    crm_rating_last_text = fields.Selection(
        RATING_TEXT,
        string="Last Satisfaction Answer",
        compute="_compute_crm_satisfaction",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_rating_last_date = fields.Datetime(
        string="Last Answered On",
        compute="_compute_crm_satisfaction",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_rating_last_document = fields.Char(
        string="Last Answer About",
        compute="_compute_crm_satisfaction",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_rating_avg = fields.Float(
        string="Average Satisfaction (12 Months)",
        digits=(16, 1),
        compute="_compute_crm_satisfaction",
        groups="crm_relationship.crm_relationship_group_user",
        help="Average answer to the satisfaction requests of the last 12 months: "
        "1 unhappy, 3 neutral, 5 happy.",
    )
    crm_rating_count = fields.Integer(
        string="Satisfaction Answers (12 Months)",
        compute="_compute_crm_satisfaction",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_rating_request_count = fields.Integer(
        string="Satisfaction Requests (12 Months)",
        compute="_compute_crm_satisfaction",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_rating_response_rate = fields.Float(
        string="Response Rate (12 Months)",
        digits=(16, 0),
        compute="_compute_crm_satisfaction",
        groups="crm_relationship.crm_relationship_group_user",
        help="Answers per 100 satisfaction requests of the last 12 months.",
    )

    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_satisfaction(self):
        """Read with ``sudo()`` from the satisfaction analysis, restricted to the
        companies active for the user, like the card's other figures."""
        figures = self._crm_get_satisfaction_figures()
        for partner in self:
            values = figures.get(partner.commercial_partner_id.id, {})
            requests = values.get("requests", 0)
            partner.update(
                {
                    "crm_rating_last_text": values.get("last_text", "none"),
                    "crm_rating_last_date": values.get("last_date", False),
                    "crm_rating_last_document": values.get("last_document", False),
                    "crm_rating_avg": values.get("average", 0.0),
                    "crm_rating_count": values.get("answers", 0),
                    "crm_rating_request_count": requests,
                    "crm_rating_response_rate": 100.0 * values.get("answers", 0) / requests
                    if requests
                    else 0.0,
                }
            )

    def _crm_get_satisfaction_figures(self):
        """``{customer id: {"requests", "answers", "average", "last_text",
        "last_date", "last_value", "last_document"}}`` for the customers of
        ``self``: one grouped read and one query for the latest answers."""
        customers = self.commercial_partner_id
        if not customers:
            return {}
        Report = self.env["crm.relationship.satisfaction.report"].sudo()
        base = Domain("partner_id", "in", customers.ids) & Domain("company_id", "in", self.env.companies.ids)
        since = fields.Datetime.now() - relativedelta(months=12)
        figures = {}
        for customer, requests, answers, average in Report._read_group(
            base & Domain("date", ">=", since),
            ["partner_id"],
            ["request_count:sum", "answer_count:sum", "rating:avg"],
        ):
            figures[customer.id] = {"requests": requests, "answers": answers, "average": average or 0.0}
        Report.flush_model()
        for customer_id, value, rated_on, name in self.env.execute_query(
            SQL(
                """SELECT DISTINCT ON (s.partner_id) s.partner_id, s.rating, s.rated_on, s.name
                     FROM (%s) s
                    WHERE s.partner_id = ANY(%s) AND s.company_id = ANY(%s) AND s.answer_count = 1
                 ORDER BY s.partner_id, s.rated_on DESC, s.id DESC""",
                Report._table_query,
                customers.ids,
                self.env.companies.ids,
            )
        ):
            figures.setdefault(customer_id, {}).update(
                last_value=value, last_text=_rating_to_text(value), last_date=rated_on, last_document=name
            )
        return figures

    @api.depends(
        "crm_amount_overdue",
        "crm_next_activity_id",
        "crm_defect_open_count",
        "crm_rating_last_text",
        "crm_rating_last_date",
    )
    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_alert_message(self):
        return super()._compute_crm_alert_message()

    def _crm_get_alerts(self):
        """An unhappy latest answer to a satisfaction request, for
        ``UNHAPPY_ALERT_DAYS`` days or until a better answer comes."""
        alerts = super()._crm_get_alerts()
        limit = fields.Datetime.now() - relativedelta(days=UNHAPPY_ALERT_DAYS)
        for partner in self:
            if partner.crm_rating_last_text == "ko" and partner.crm_rating_last_date >= limit:
                alerts[partner.id].append(
                    self.env._(
                        "Unhappy customer: answered 'Unhappy' on %(date)s about %(document)s.",
                        date=format_date(
                            self.env, fields.Date.context_today(partner, partner.crm_rating_last_date)
                        ),
                        document=partner.crm_rating_last_document or "",
                    )
                )
        return alerts

    @api.readonly
    def action_view_crm_satisfaction(self):
        """The customer's satisfaction requests and answers. Only reads: served by a read replica
        when Odoo has one."""
        self.ensure_one()
        self._crm_check_access("crm.relationship.satisfaction.report")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship_portal.crm_relationship_satisfaction_report_action_list"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"create": False}
        return action
