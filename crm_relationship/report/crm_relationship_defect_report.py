from odoo import api, fields, models
from odoo.tools import SQL, frozendict

from ..models.row_id import row_id


class CrmRelationshipDefectReport(models.Model):
    """Defects against units delivered, per product and production lot.

    A read-only SQL view with a row per defect report (``defect_count`` 1)
    and a row per delivered move line to a customer (``delivered_qty``,
    negative for returns), so that a group's defect rate is its defects per
    100 units delivered. Sorted by number of defects it is a Pareto chart:
    the few products and lots that cause most defects come first.
    Rejected reports are not defects.

    Row ids (see ``models/row_id.py``): the defect's id times 1000 plus 1,
    the move line's id times 1000 plus 2.
    """

    _name = "crm.relationship.defect.report"
    _inherit = "crm.relationship.defect.rate.mixin"
    _description = "Defect Analysis"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "name"

    company_id = fields.Many2one("res.company", readonly=True)
    product_tmpl_id = fields.Many2one("product.template", string="Product Template", readonly=True)
    product_categ_id = fields.Many2one("product.category", string="Product Category", readonly=True)
    category_id = fields.Many2one("crm.relationship.defect.category", string="Defect Category", readonly=True)
    warranty_state = fields.Selection(
        [("warranty", "Under Warranty"), ("chargeable", "Chargeable")], string="Warranty", readonly=True
    )
    _depends = frozendict(
        {
            "crm.relationship.defect": ["category_id", "warranty_state"],
            "product.product": ["product_tmpl_id"],
            "product.template": ["categ_id"],
        }
    )

    @api.model
    def _select(self):
        return SQL("%s, pt.id AS product_tmpl_id, pt.categ_id AS product_categ_id", super()._select())

    @api.model
    def _from(self):
        return SQL(
            """%s
         LEFT JOIN product_product pp ON pp.id = b.product_id
         LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id""",
            super()._from(),
        )

    @api.model
    def _get_branch_columns(self):
        return super()._get_branch_columns() | {
            "category_id": SQL("NULL::integer"),
            "warranty_state": SQL("NULL::varchar"),
        }

    @api.model
    def _select_defect(self):
        return super()._select_defect() | {
            "id": row_id(1, SQL("d.id")),
            "category_id": SQL("d.category_id"),
            "warranty_state": SQL("d.warranty_state::varchar"),
        }

    @api.model
    def _select_delivery(self):
        return super()._select_delivery() | {"id": row_id(2, SQL("ml.id"))}
