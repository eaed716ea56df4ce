from collections import defaultdict

from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL, frozendict


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ("stock.picking", "crm.relationship.customer.document", "crm.relationship.call.source.mixin")
    _crm_call_field = "picking_id"
    _crm_call_department = "logistics"

    _crm_timeline_code = 2
    _crm_card_figures = frozendict(
        deliveries=frozendict(
            crm_delivery_count=0,
            crm_delivery_open_count=0,
            crm_return_count=0,
            crm_last_delivery_date=False,
        )
    )
    _crm_next_action_documents = True

    # The timeline reads the deliveries of a period by transfer or planned date.
    _crm_timeline_date_idx = models.Index("((COALESCE(date_done, scheduled_date)))")

    @api.model
    def _crm_get_customer_document_domain(self):
        """Delivery notes and the returns of deliveries.

        A document rule (what the card and the timeline list): what physically
        reached a customer is ``stock.move.line._crm_get_customer_delivery_domain()``."""
        return Domain("picking_type_code", "=", "outgoing") | (
            Domain("picking_type_code", "=", "incoming") & Domain("return_id", "!=", False)
        )

    @api.model
    def _crm_customer_document_sql(self, alias):
        return SQL(
            """EXISTS(SELECT FROM stock_picking_type crm_type
                       WHERE crm_type.id = %(type)s
                         AND (crm_type.code = 'outgoing'
                              OR (crm_type.code = 'incoming' AND %(ret)s IS NOT NULL)))""",
            type=SQL.identifier(alias, "picking_type_id"),
            ret=SQL.identifier(alias, "return_id"),
        )

    @api.model
    def _crm_get_timeline_entry_types(self):
        delivery, returned = self.env._("Delivery"), self.env._("Return")
        return [("delivery", delivery), ("return", returned)]

    @api.model
    def _crm_get_timeline_depends(self):
        return {
            "stock.picking": [
                "date_done",
                "scheduled_date",
                "name",
                "partner_id",
                "company_id",
                "user_id",
                "state",
                "picking_type_id",
                "return_id",
            ],
            "stock.picking.type": ["code"],
        }

    @api.model
    def _crm_get_timeline_joins(self):
        return SQL(
            """JOIN stock_picking_type spt ON spt.id = doc.picking_type_id
               JOIN res_partner rp ON rp.id = doc.partner_id"""
        )

    @api.model
    def _crm_get_timeline_columns(self):
        return {
            "date": "COALESCE(doc.date_done, doc.scheduled_date)",
            "entry_type": "CASE WHEN spt.code = 'outgoing' THEN 'delivery' ELSE 'return' END",
            "department": "'logistics'",
            "user_id": "doc.user_id",
            "is_alert": "spt.code = 'incoming'",
        }

    @api.model
    def _crm_get_timeline_product_sql(self, product_ids):
        return SQL("SELECT picking_id FROM stock_move WHERE product_id = ANY(%s)", product_ids)

    @api.model
    def _crm_get_timeline_lot_sql(self, pattern):
        return SQL(
            """SELECT ml.picking_id FROM stock_move_line ml
                 JOIN stock_lot lot ON lot.id = ml.lot_id
                WHERE lot.name ILIKE %s""",
            pattern,
        )

    @api.model
    def _crm_get_timeline_lot_names(self, ids):
        lots = defaultdict(set)
        for picking, lot in self.env["stock.move.line"]._read_group(
            [("picking_id", "in", ids), ("lot_id", "!=", False)], ["picking_id", "lot_id"]
        ):
            lots[picking.id].add(lot.name)
        return lots

    @api.model
    def _crm_get_timeline_summaries(self, ids):
        """The serial and lot numbers delivered or returned."""
        return {
            picking_id: ", ".join(sorted(names))
            for picking_id, names in self._crm_get_timeline_lot_names(ids).items()
        }

    @api.model
    def _crm_get_card_figures(self, customers, group):
        """Delivery notes (in progress, last one done) and returns, cancelled ones aside."""
        result = defaultdict(lambda: defaultdict(int))
        for partner, code, state, count, last_done in self._read_group(
            self._crm_get_documents_domain(customers) & Domain("state", "!=", "cancel"),
            ["partner_id", "picking_type_code", "state"],
            ["__count", "date_done:max"],
        ):
            values = result[partner.commercial_partner_id.id]
            if code == "incoming":
                values["crm_return_count"] += count
                continue
            values["crm_delivery_count"] += count
            if state != "done":
                values["crm_delivery_open_count"] += count
            elif last_done and (
                not values.get("crm_last_delivery_date") or last_done > values["crm_last_delivery_date"]
            ):
                values["crm_last_delivery_date"] = last_done
        return result

    def _action_done(self):
        """Register the customer equipment delivered or returned by these pickings.

        Registration is a consequence of validating the picking, whoever does
        it: a warehouse user without Customer Relationship rights still feeds
        the registry, hence ``sudo()`` on the registration only.
        """
        res = super()._action_done()
        self.move_line_ids.sudo()._crm_register_equipment()
        return res

    def _prepare_crm_call_values(self):
        """Also the sale order of the delivery, when it is the same customer's."""
        values = super()._prepare_crm_call_values()
        if self.sale_id.partner_id.commercial_partner_id == self.partner_id.commercial_partner_id:
            values["sale_order_id"] = self.sale_id.id
        return values
