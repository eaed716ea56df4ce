from odoo import api, fields, models
from odoo.tools import SQL, frozendict

from ..models.crm_relationship_defect_route import SEVERITIES
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

    source = fields.Selection([("defect", "Defect"), ("delivery", "Delivery")], readonly=True)
    name = fields.Char(string="Document", readonly=True)
    date = fields.Date(readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    product_tmpl_id = fields.Many2one("product.template", string="Product Template", readonly=True)
    product_categ_id = fields.Many2one("product.category", string="Product Category", readonly=True)
    lot_id = fields.Many2one("stock.lot", string="Lot/Serial Number", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    category_id = fields.Many2one("crm.relationship.defect.category", string="Defect Category", readonly=True)
    severity = fields.Selection(SEVERITIES, readonly=True)
    warranty_state = fields.Selection(
        [("warranty", "Under Warranty"), ("chargeable", "Chargeable")], string="Warranty", readonly=True
    )
    _depends = frozendict(
        {
            "crm.relationship.defect": [
                "name",
                "date_reported",
                "product_id",
                "lot_id",
                "partner_id",
                "company_id",
                "category_id",
                "severity",
                "warranty_state",
                "state",
            ],
            "stock.move.line": [
                "move_id",
                "product_id",
                "lot_id",
                "quantity_product_uom",
                "location_id",
                "location_dest_id",
                "picking_id",
                "company_id",
            ],
            "stock.move": ["state", "date", "reference", "partner_id"],
            "stock.picking": ["partner_id"],
            "stock.location": ["usage"],
            "res.partner": ["commercial_partner_id"],
        }
    )

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT b.*, pt.id AS product_tmpl_id, pt.categ_id AS product_categ_id,
                   100.0 * b.defect_count / NULLIF(b.delivered_qty, 0) AS defect_rate
              FROM (%s UNION ALL %s) AS b
         LEFT JOIN product_product pp ON pp.id = b.product_id
         LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
            """,
            self._get_defect_branch(),
            self._get_delivery_branch(),
        )

    @api.model
    def _get_defect_branch(self):
        return SQL(
            """
            SELECT %(id)s AS id, 'defect'::varchar AS source, d.name AS name,
                   d.date_reported::date AS date, d.product_id, d.lot_id, d.partner_id, d.company_id,
                   d.category_id, d.severity::varchar AS severity,
                   d.warranty_state::varchar AS warranty_state,
                   1 AS defect_count, 0.0 AS delivered_qty
              FROM crm_relationship_defect d
             WHERE d.state != 'rejected'
            """,
            id=row_id(1, SQL("d.id")),
        )

    @api.model
    def _get_delivery_branch(self):
        return SQL(
            """
            SELECT %(id)s, 'delivery', sm.reference, sm.date::date, ml.product_id, ml.lot_id,
                   rp.commercial_partner_id, ml.company_id, NULL, NULL, NULL, 0,
                   CASE WHEN src.usage = 'customer' THEN -ml.quantity_product_uom
                        ELSE ml.quantity_product_uom END
              FROM stock_move_line ml
              JOIN stock_move sm ON sm.id = ml.move_id
              JOIN stock_location src ON src.id = ml.location_id
              JOIN stock_location dest ON dest.id = ml.location_dest_id
         LEFT JOIN stock_picking sp ON sp.id = ml.picking_id
         LEFT JOIN res_partner rp ON rp.id = COALESCE(sp.partner_id, sm.partner_id)
             WHERE sm.state = 'done'
               AND (dest.usage = 'customer') != (src.usage = 'customer')
            """,
            id=row_id(2, SQL("ml.id")),
        )
