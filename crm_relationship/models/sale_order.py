from odoo import api, fields, models


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ("sale.order", "crm.relationship.customer.document")

    crm_alert_message = fields.Text(
        string="Customer Alerts",
        compute="_compute_crm_alert_message",
        help="Open complaints, overdue invoices or missing next action of the customer.",
        groups="crm_relationship.crm_relationship_group_user",
    )

    @api.depends("partner_id")
    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_alert_message(self):
        customers = self.partner_id.commercial_partner_id
        alerts = customers._crm_get_alerts() if customers else {}
        for order in self:
            messages = alerts.get(order.partner_id.commercial_partner_id.id)
            order.crm_alert_message = "\n".join(messages) if messages else False

    def _prepare_crm_call_values(self):
        """Values of a call logged from the order; override to pre-fill more."""
        self.ensure_one()
        values = self.env["crm.relationship.call"]._prepare_partner_call_values(self.partner_id)
        values.update(
            {
                "sale_order_id": self.id,
                "company_id": self.company_id.id,
                "department": "sales",
                "subject": self.env._("About %s", self.name),
            }
        )
        return values

    def action_crm_log_call(self):
        self.ensure_one()
        self.env["crm.relationship.call"].check_access("create")
        self.check_access("read")
        return self.env["crm.relationship.call"]._get_log_call_action(self._prepare_crm_call_values())
