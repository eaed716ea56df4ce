from odoo import api, models

# Changes that can change which messages count as a contact, or their date.
CONTACT_FIELDS = {"model", "res_id", "message_type", "date"}


class MailMessage(models.Model):
    _inherit = "mail.message"

    # The timeline reads the messages with customers of a period by date.
    _crm_timeline_date_idx = models.Index(
        "(date) WHERE model = 'res.partner' AND message_type IN ('comment', 'email', 'email_outgoing')"
    )

    def _crm_get_customer_ids(self):
        """Customers (commercial partner ids) for whom these messages count as a contact."""
        messages = self.sudo().filtered(lambda message: message.model == "res.partner")
        return self.env["res.partner"]._crm_get_customers_of("mail.message", messages.ids)

    @api.model_create_multi
    def create(self, vals_list):
        messages = super().create(vals_list)
        on_partners = messages.filtered(lambda message: message.model == "res.partner")
        if on_partners:
            self.env["res.partner"]._crm_touch_last_contact("mail.message", on_partners.ids)
        return messages

    def write(self, vals):
        if not CONTACT_FIELDS & vals.keys():
            return super().write(vals)
        customer_ids = self._crm_get_customer_ids()
        result = super().write(vals)
        self.env["res.partner"]._crm_refresh_relationship_status(
            customer_ids | self._crm_get_customer_ids(), next_activity=False
        )
        return result

    def unlink(self):
        customer_ids = self._crm_get_customer_ids()
        result = super().unlink()
        self.env["res.partner"]._crm_refresh_relationship_status(customer_ids, next_activity=False)
        return result
