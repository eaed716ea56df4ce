from odoo import api, fields, models
from odoo.tools import SQL, frozendict

from ..models.crm_relationship_defect_route import SEVERITIES


class CrmRelationshipDefectRateMixin(models.AbstractModel):
    """Defects against units delivered, for the defect analysis reports.

    A report mixing it in has a row per defect report (``defect_count`` 1) and
    a row per delivery of a unit to a customer (``delivered_qty``, negative for
    returns): the defect rate of any group is its defects per 100 units
    delivered, computed from the group's sums rather than averaged over rows.
    Rejected reports are not defects; deliveries and returns are the move
    lines of ``stock.move.line._crm_customer_flow_sql``.

    Each report gives the ids of both kinds of rows, and may add columns and
    joins to them: ``super()._select_defect() | {...}`` and
    ``SQL("%s JOIN ...", super()._from_defect())``, the same for deliveries.
    Each report also declares its ``company_id``, which its record rule reads.
    """

    _name = "crm.relationship.defect.rate.mixin"
    _inherit = "crm.relationship.report.mixin"
    _description = "Defect Rate"

    source = fields.Selection([("defect", "Defect"), ("delivery", "Delivery")], readonly=True)
    name = fields.Char(string="Document", readonly=True)
    date = fields.Date(readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    lot_id = fields.Many2one("stock.lot", string="Lot/Serial Number", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    severity = fields.Selection(SEVERITIES, readonly=True)
    defect_count = fields.Integer(string="# Defects", readonly=True)
    delivered_qty = fields.Float(string="Units Delivered", readonly=True)
    defect_rate = fields.Float(
        string="Defect Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Defects per 100 units delivered to customers.",
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
                "severity",
                "state",
            ],
            "stock.move.line": [
                "move_id",
                "state",
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

    @api.model
    def _get_percentages(self):
        return super()._get_percentages() | {"defect_rate": ("defect_count", "delivered_qty")}

    @api.model
    def _select(self):
        return SQL(
            "%s, 100.0 * b.defect_count / NULLIF(b.delivered_qty, 0) AS defect_rate", super()._select()
        )

    @api.model
    def _get_branch_columns(self):
        """The document, the unit (product, lot), the customer, then the defect's data (NULL on
        deliveries) and the two counts."""
        return (
            super()._get_branch_columns()
            | dict.fromkeys(("source", "name", "date", "product_id", "lot_id", "partner_id", "company_id"))
            | {"severity": SQL("NULL::varchar"), "defect_count": SQL("0"), "delivered_qty": SQL("0.0")}
        )

    @api.model
    def _get_branches(self):
        return [self._get_defect_branch(), self._get_delivery_branch()]

    @api.model
    def _get_defect_branch(self):
        return self._branch(self._select_defect(), self._from_defect(), SQL("d.state != 'rejected'"))

    @api.model
    def _select_defect(self):
        """Columns of the row of a defect report ``d``; the report adds the id."""
        return {
            "source": SQL("'defect'"),
            "name": SQL("d.name"),
            "date": SQL("d.date_reported::date"),
            "product_id": SQL("d.product_id"),
            "lot_id": SQL("d.lot_id"),
            "partner_id": SQL("d.partner_id"),
            "company_id": SQL("d.company_id"),
            "severity": SQL("d.severity::varchar"),
            "defect_count": SQL("1"),
        }

    @api.model
    def _from_defect(self):
        return SQL("crm_relationship_defect d")

    @api.model
    def _get_delivery_branch(self):
        return self._branch(
            self._select_delivery(),
            self._from_delivery(),
            self.env["stock.move.line"]._crm_customer_flow_sql("ml", "src", "dest"),
        )

    @api.model
    def _select_delivery(self):
        """Columns of the row of a move line ``ml`` delivering to or returning from a customer;
        the report adds the id."""
        return {
            "source": SQL("'delivery'"),
            "name": SQL("sm.reference"),
            "date": SQL("sm.date::date"),
            "product_id": SQL("ml.product_id"),
            "lot_id": SQL("ml.lot_id"),
            "partner_id": SQL("rp.commercial_partner_id"),
            "company_id": SQL("ml.company_id"),
            "delivered_qty": self.env["stock.move.line"]._crm_customer_quantity_sql("ml", "src"),
        }

    @api.model
    def _from_delivery(self):
        return SQL(
            """
            stock_move_line ml
            JOIN stock_move sm ON sm.id = ml.move_id
            JOIN stock_location src ON src.id = ml.location_id
            JOIN stock_location dest ON dest.id = ml.location_dest_id
       LEFT JOIN stock_picking sp ON sp.id = ml.picking_id
       LEFT JOIN res_partner rp ON rp.id = COALESCE(sp.partner_id, sm.partner_id)
            """
        )
