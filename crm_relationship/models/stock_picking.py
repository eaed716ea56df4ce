from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ("stock.picking", "crm.relationship.customer.document", "crm.relationship.call.source.mixin")
    _crm_call_field = "picking_id"
    _crm_call_department = "logistics"

    # The timeline reads the deliveries of a period by transfer or planned date.
    _crm_timeline_date_idx = models.Index("((COALESCE(date_done, scheduled_date)))")

    @api.model
    def _crm_get_customer_document_domain(self):
        """Delivery notes and the returns of deliveries, cancelled ones aside.

        A document rule (what the card and the timeline list): what physically
        reached a customer is ``stock.move.line._crm_get_customer_delivery_domain()``."""
        return Domain("state", "!=", "cancel") & (
            Domain("picking_type_code", "=", "outgoing")
            | (Domain("picking_type_code", "=", "incoming") & Domain("return_id", "!=", False))
        )

    @api.model
    def _crm_customer_document_sql(self, alias):
        return SQL(
            """(%(state)s != 'cancel' AND EXISTS(
                   SELECT FROM stock_picking_type crm_type
                    WHERE crm_type.id = %(type)s
                      AND (crm_type.code = 'outgoing'
                           OR (crm_type.code = 'incoming' AND %(ret)s IS NOT NULL))))""",
            state=SQL.identifier(alias, "state"),
            type=SQL.identifier(alias, "picking_type_id"),
            ret=SQL.identifier(alias, "return_id"),
        )

    def _action_done(self):
        """Register the customer equipment delivered or returned by these pickings.

        Registration is a consequence of validating the picking, whoever does
        it: a warehouse user without Customer Relationship rights still feeds
        the registry, hence ``sudo()`` on the registration only.
        """
        res = super()._action_done()
        self.env["crm.relationship.equipment"].sudo()._register_from_move_lines(self.move_line_ids)
        return res

    def _prepare_crm_call_values(self):
        """Also the sale order of the delivery, when it is the same customer's."""
        values = super()._prepare_crm_call_values()
        if self.sale_id.partner_id.commercial_partner_id == self.partner_id.commercial_partner_id:
            values["sale_order_id"] = self.sale_id.id
        return values
