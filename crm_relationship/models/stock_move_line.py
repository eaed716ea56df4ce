from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL


class StockMoveLine(models.Model):
    _inherit = "stock.move.line"

    # What a customer physically received or sent back, by the locations the
    # goods crossed: the rule of the equipment registry, the lot traceability
    # of defects and the defect analyses. (The delivery notes shown on a card
    # are ``stock.picking._crm_get_customer_document_domain()``: documents,
    # whatever their lines.)

    @api.model
    def _crm_get_customer_delivery_domain(self):
        """Done move lines bringing goods into a customer location from outside."""
        return (
            Domain("state", "=", "done")
            & Domain("location_dest_id.usage", "=", "customer")
            & Domain("location_id.usage", "!=", "customer")
        )

    @api.model
    def _crm_get_customer_return_domain(self):
        """Done move lines bringing goods back from a customer location."""
        return (
            Domain("state", "=", "done")
            & Domain("location_id.usage", "=", "customer")
            & Domain("location_dest_id.usage", "!=", "customer")
        )

    @api.model
    def _crm_customer_flow_sql(self, line, source, destination):
        """SQL twin of the two domains above, for SQL views: the condition that
        the move line ``line`` (its locations ``source`` and ``destination``,
        all table aliases) is a delivery to or a return from a customer."""
        return SQL(
            "(%s = 'done' AND (%s = 'customer') != (%s = 'customer'))",
            SQL.identifier(line, "state"),
            SQL.identifier(destination, "usage"),
            SQL.identifier(source, "usage"),
        )

    @api.model
    def _crm_customer_quantity_sql(self, line, source):
        """Quantity of a customer flow in the product's unit: positive for a
        delivery, negative for a return (see :meth:`_crm_customer_flow_sql`)."""
        return SQL(
            "CASE WHEN %s = 'customer' THEN -%s ELSE %s END",
            SQL.identifier(source, "usage"),
            SQL.identifier(line, "quantity_product_uom"),
            SQL.identifier(line, "quantity_product_uom"),
        )
