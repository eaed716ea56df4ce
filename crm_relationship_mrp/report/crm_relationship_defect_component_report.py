from odoo import api, fields, models
from odoo.tools import SQL, frozendict

from odoo.addons.crm_relationship.models.crm_relationship_defect_route import SEVERITIES
from odoo.addons.crm_relationship.models.row_id import row_id

# A row combines a defect or a delivered move line with one of the component
# lots of its finished lot: its key is the record's id times this, plus the
# position of the component lot among those of the finished lot (1, 2, ...).
COMPONENT_POSITIONS = 2**21


class CrmRelationshipDefectComponentReport(models.Model):
    """Defects against units delivered, per component lot.

    A read-only SQL view with, for every component lot consumed by a done
    production order, a row per defect report on a unit built with it
    (``defect_count`` 1) and a row per delivery of such a unit to a customer
    (``delivered_qty``, negative for returns). A group's defect rate is its
    defects per 100 units delivered; sorted by number of defects it is the
    Pareto chart that shows which batch of components causes the complaints.
    Rejected reports are not defects.

    Row ids (see ``crm_relationship/models/row_id.py``): ``key * 2 + branch``
    (0 defects, 1 deliveries) with ``key = record id * 2**21 + position``,
    the position of the component lot among those of the finished lot, in
    the order of their ids. Ids stay below 2**53, exact in the web client,
    for any record id and up to 2,097,151 component lots per finished lot.
    """

    _name = "crm.relationship.defect.component.report"
    _inherit = "crm.relationship.defect.rate.mixin"
    _description = "Defect Analysis per Component Lot"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "name"

    source = fields.Selection([("defect", "Defect"), ("delivery", "Delivery")], readonly=True)
    name = fields.Char(string="Document", readonly=True)
    date = fields.Date(readonly=True)
    component_lot_id = fields.Many2one("stock.lot", readonly=True)
    component_product_id = fields.Many2one("product.product", string="Component", readonly=True)
    product_id = fields.Many2one("product.product", string="Finished Product", readonly=True)
    lot_id = fields.Many2one("stock.lot", string="Finished Lot/Serial Number", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    severity = fields.Selection(SEVERITIES, readonly=True)
    _depends = frozendict(
        {
            "crm.relationship.defect": ["name", "date_reported", "product_id", "lot_id", "partner_id"]
            + ["company_id", "severity", "state"],
            "stock.move.line": ["move_id", "product_id", "lot_id", "quantity_product_uom", "location_id"]
            + ["location_dest_id", "picking_id", "company_id"],
            "stock.move": ["state", "date", "reference", "partner_id", "production_id"]
            + ["raw_material_production_id"],
            "stock.picking": ["partner_id"],
            "stock.location": ["usage"],
            "res.partner": ["commercial_partner_id"],
        }
    )

    @property
    def _table_query(self):
        return SQL(
            """
            WITH composition AS (
                SELECT c.*, ROW_NUMBER() OVER (
                           PARTITION BY c.finished_lot_id ORDER BY c.component_lot_id, c.component_product_id
                       ) AS position
                  FROM (%(composition)s) AS c
            )
            SELECT %(defect_id)s AS id, 'defect'::varchar AS source,
                   d.name AS name, d.date_reported::date AS date,
                   c.component_lot_id, c.component_product_id, d.product_id, d.lot_id, d.partner_id,
                   d.company_id, d.severity::varchar AS severity, 1 AS defect_count, 0.0 AS delivered_qty,
                   NULL::float AS defect_rate
              FROM crm_relationship_defect d
              JOIN composition c ON c.finished_lot_id = d.lot_id
             WHERE d.state != 'rejected'
         UNION ALL
            SELECT %(delivery_id)s, 'delivery', sm.reference,
                   sm.date::date, c.component_lot_id, c.component_product_id, ml.product_id, ml.lot_id,
                   rp.commercial_partner_id, ml.company_id, NULL, 0,
                   CASE WHEN src.usage = 'customer' THEN -ml.quantity_product_uom
                        ELSE ml.quantity_product_uom END,
                   NULL
              FROM stock_move_line ml
              JOIN composition c ON c.finished_lot_id = ml.lot_id
              JOIN stock_move sm ON sm.id = ml.move_id
              JOIN stock_location src ON src.id = ml.location_id
              JOIN stock_location dest ON dest.id = ml.location_dest_id
         LEFT JOIN stock_picking sp ON sp.id = ml.picking_id
         LEFT JOIN res_partner rp ON rp.id = COALESCE(sp.partner_id, sm.partner_id)
             WHERE sm.state = 'done' AND (dest.usage = 'customer') != (src.usage = 'customer')
            """,
            composition=self._get_composition_query(),
            defect_id=self._row_id(0, SQL("d.id")),
            delivery_id=self._row_id(1, SQL("ml.id")),
        )

    @api.model
    def _row_id(self, branch, record_id):
        """SQL of the id of a row of ``branch`` (0 or 1) combining ``record_id`` and a component lot."""
        return row_id(branch, SQL("%s::bigint * %s + c.position", record_id, COMPONENT_POSITIONS), branches=2)

    @api.model
    def _get_composition_query(self):
        """SQL of ``(finished_lot_id, component_lot_id, component_product_id)``: which
        component lots the done production orders put into each finished lot."""
        return SQL(
            """
            SELECT DISTINCT fml.lot_id AS finished_lot_id, cml.lot_id AS component_lot_id,
                   cml.product_id AS component_product_id
              FROM stock_move_line fml
              JOIN stock_move fm ON fm.id = fml.move_id
              JOIN stock_move cm ON cm.raw_material_production_id = fm.production_id
              JOIN stock_move_line cml ON cml.move_id = cm.id
             WHERE fm.production_id IS NOT NULL AND fm.state = 'done' AND cm.state = 'done'
               AND fml.lot_id IS NOT NULL AND cml.lot_id IS NOT NULL
            """
        )
