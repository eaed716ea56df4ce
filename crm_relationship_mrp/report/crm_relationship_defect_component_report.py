from odoo import api, fields, models
from odoo.tools import SQL, frozendict

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

    company_id = fields.Many2one("res.company", readonly=True)
    component_lot_id = fields.Many2one("stock.lot", readonly=True)
    component_product_id = fields.Many2one("product.product", string="Component", readonly=True)
    product_id = fields.Many2one(string="Finished Product")
    lot_id = fields.Many2one(string="Finished Lot/Serial Number")
    _depends = frozendict({"stock.move": ["production_id", "raw_material_production_id"]})

    @api.model
    def _with(self):
        return SQL(
            """composition AS (
                SELECT c.*, ROW_NUMBER() OVER (
                           PARTITION BY c.finished_lot_id ORDER BY c.component_lot_id, c.component_product_id
                       ) AS position
                  FROM (%s) AS c
            )""",
            self._get_composition_query(),
        )

    @api.model
    def _get_branch_columns(self):
        return super()._get_branch_columns() | dict.fromkeys(("component_lot_id", "component_product_id"))

    @api.model
    def _select_defect(self):
        return super()._select_defect() | self._select_component(0, SQL("d.id"))

    @api.model
    def _from_defect(self):
        return SQL("%s JOIN composition c ON c.finished_lot_id = d.lot_id", super()._from_defect())

    @api.model
    def _select_delivery(self):
        return super()._select_delivery() | self._select_component(1, SQL("ml.id"))

    @api.model
    def _from_delivery(self):
        return SQL("%s JOIN composition c ON c.finished_lot_id = ml.lot_id", super()._from_delivery())

    @api.model
    def _select_component(self, branch, record_id):
        """Columns of a row of ``branch`` (0 or 1) combining ``record_id`` and a component lot ``c``."""
        return {
            "id": row_id(
                branch, SQL("%s::bigint * %s + c.position", record_id, COMPONENT_POSITIONS), branches=2
            ),
            "component_lot_id": SQL("c.component_lot_id"),
            "component_product_id": SQL("c.component_product_id"),
        }

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
