from odoo import api, fields, models
from odoo.tools import SQL, frozendict

from odoo.addons.crm_relationship.models.crm_relationship_timeline import DEPARTMENTS
from odoo.addons.crm_relationship.models.row_id import row_id
from odoo.addons.rating.models.rating_data import RATING_LIMIT_OK, RATING_LIMIT_SATISFIED


class CrmRelationshipSatisfactionReport(models.Model):
    """Customer satisfaction: a row per satisfaction request, answered or not.

    Read per department, operator, product, defect category or equipment
    model (the product of the unit, and its equipment category), with the
    response rate (answers per 100 requests) and the share of satisfied and
    unhappy answers, both computed from a group's sums. The card's
    satisfaction figures and the "unhappy customer" event rule read this
    report: what a satisfaction answer is, is said here only.

    Row ids (see ``crm_relationship/models/row_id.py``): the rating's id
    times 1000 plus 1 for defect reports, plus 2 for calls.
    """

    _name = "crm.relationship.satisfaction.report"
    _inherit = "crm.relationship.report.mixin"
    _description = "Customer Satisfaction Analysis"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "name"

    source = fields.Selection([("defect", "Defect Report"), ("call", "Call")], readonly=True)
    name = fields.Char(string="Document", readonly=True)
    date = fields.Datetime(string="Asked On", readonly=True)
    rated_on = fields.Datetime(string="Answered On", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    contact_id = fields.Many2one("res.partner", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    department = fields.Selection(DEPARTMENTS, readonly=True)
    user_id = fields.Many2one("res.users", string="Operator", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    product_tmpl_id = fields.Many2one("product.template", string="Equipment Model", readonly=True)
    equipment_category_id = fields.Many2one("crm.relationship.equipment.category", readonly=True)
    defect_category_id = fields.Many2one("crm.relationship.defect.category", readonly=True)
    rating = fields.Float(
        string="Average Rating", readonly=True, aggregator="avg", help="1 unhappy, 3 neutral, 5 happy."
    )
    feedback = fields.Text(string="Comment", readonly=True)
    request_count = fields.Integer(string="# Requests", readonly=True)
    answer_count = fields.Integer(string="# Answers", readonly=True)
    satisfied_count = fields.Integer(string="# Happy", readonly=True)
    unhappy_count = fields.Integer(string="# Unhappy", readonly=True)
    response_rate = fields.Float(
        string="Response Rate (%)", readonly=True, aggregator="avg", help="Answers per 100 requests."
    )
    satisfaction_rate = fields.Float(
        string="Satisfied (%)", readonly=True, aggregator="avg", help="Happy answers per 100 answers."
    )

    _depends = frozendict(
        {
            "rating.rating": [
                "res_model",
                "res_id",
                "partner_id",
                "rating",
                "consumed",
                "rated_on",
                "feedback",
            ],
            "crm.relationship.defect": [
                "name",
                "partner_id",
                "company_id",
                "user_call_center_id",
                "product_id",
                "category_id",
                "equipment_id",
            ],
            "crm.relationship.call": [
                "subject",
                "partner_id",
                "company_id",
                "department",
                "user_id",
                "equipment_id",
            ],
            "crm.relationship.equipment": ["product_id", "category_id"],
            "product.product": ["product_tmpl_id"],
        }
    )

    @api.model
    def _get_percentages(self):
        return super()._get_percentages() | {
            "response_rate": ("answer_count", "request_count"),
            "satisfaction_rate": ("satisfied_count", "answer_count"),
        }

    @api.model
    def _select(self):
        return SQL(
            """%s, pp.product_tmpl_id AS product_tmpl_id,
               100.0 * b.answer_count / NULLIF(b.request_count, 0) AS response_rate,
               100.0 * b.satisfied_count / NULLIF(b.answer_count, 0) AS satisfaction_rate""",
            super()._select(),
        )

    @api.model
    def _from(self):
        return SQL("%s LEFT JOIN product_product pp ON pp.id = b.product_id", super()._from())

    @api.model
    def _get_branch_columns(self):
        """The request and its answer, the document's customer, company,
        department, operator and product, then the counts."""
        return (
            super()._get_branch_columns()
            | dict.fromkeys(("source", "name", "partner_id", "company_id", "department", "user_id"))
            | {
                "date": SQL("r.create_date"),
                "rated_on": SQL("CASE WHEN r.consumed THEN r.rated_on END"),
                "contact_id": SQL("r.partner_id"),
                "product_id": SQL("NULL::integer"),
                "equipment_category_id": SQL("NULL::integer"),
                "defect_category_id": SQL("NULL::integer"),
                "rating": SQL("CASE WHEN r.consumed THEN r.rating END"),
                "feedback": SQL("CASE WHEN r.consumed THEN r.feedback END"),
                "request_count": SQL("1"),
                "answer_count": SQL("r.consumed::integer"),
                "satisfied_count": SQL("(r.consumed AND r.rating >= %s)::integer", RATING_LIMIT_SATISFIED),
                "unhappy_count": SQL("(r.consumed AND r.rating < %s)::integer", RATING_LIMIT_OK),
            }
        )

    @api.model
    def _get_branches(self):
        return [
            self._branch(
                {
                    "id": row_id(1, SQL("r.id")),
                    "source": SQL("'defect'"),
                    "name": SQL("d.name"),
                    "partner_id": SQL("d.partner_id"),
                    "company_id": SQL("d.company_id"),
                    "department": SQL("'production'::varchar"),
                    "user_id": SQL("d.user_call_center_id"),
                    "product_id": SQL("d.product_id"),
                    "equipment_category_id": SQL("eq.category_id"),
                    "defect_category_id": SQL("d.category_id"),
                },
                SQL(
                    """rating_rating r
                       JOIN crm_relationship_defect d ON d.id = r.res_id
                  LEFT JOIN crm_relationship_equipment eq ON eq.id = d.equipment_id"""
                ),
                SQL("r.res_model = 'crm.relationship.defect' AND d.partner_id IS NOT NULL"),
            ),
            self._branch(
                {
                    "id": row_id(2, SQL("r.id")),
                    "source": SQL("'call'"),
                    "name": SQL("c.subject"),
                    "partner_id": SQL("c.partner_id"),
                    "company_id": SQL("c.company_id"),
                    "department": SQL("c.department::varchar"),
                    "user_id": SQL("c.user_id"),
                    "product_id": SQL("eq.product_id"),
                    "equipment_category_id": SQL("eq.category_id"),
                },
                SQL(
                    """rating_rating r
                       JOIN crm_relationship_call c ON c.id = r.res_id
                  LEFT JOIN crm_relationship_equipment eq ON eq.id = c.equipment_id"""
                ),
                SQL("r.res_model = 'crm.relationship.call' AND c.partner_id IS NOT NULL"),
            ),
        ]
