from odoo import api, fields, models


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ("sale.order", "crm.relationship.customer.document", "crm.relationship.call.source.mixin")
    _crm_call_field = "sale_order_id"
    _crm_call_department = "sales"

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
