from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ("stock.picking", "crm.relationship.customer.document")

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
        self.move_line_ids.sudo()._crm_register_equipment()
        return res

    def _prepare_crm_call_values(self):
        """Values of a call logged from the delivery note; override to pre-fill more."""
        self.ensure_one()
        values = self.env["crm.relationship.call"]._prepare_partner_call_values(self.partner_id)
        values.update(
            {
                "picking_id": self.id,
                "sale_order_id": self.sale_id.id
                if self.sale_id.partner_id.commercial_partner_id == self.partner_id.commercial_partner_id
                else False,
                "company_id": self.company_id.id,
                "department": "logistics",
                "subject": self.env._("About %s", self.name),
            }
        )
        return values

    def action_crm_log_call(self):
        self.ensure_one()
        self.env["crm.relationship.call"].check_access("create")
        self.check_access("read")
        return self.env["crm.relationship.call"]._get_log_call_action(self._prepare_crm_call_values())
