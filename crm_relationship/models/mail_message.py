from odoo import api, models, tools
from odoo.fields import Domain
from odoo.tools import SQL

from .crm_relationship_customer_document import sql_condition

# Changes that can change which messages count as a contact, or their date.
CONTACT_FIELDS = {"model", "res_id", "message_type", "date"}
# Messages with a customer: comments and e-mails on its partners.
CUSTOMER_MESSAGE_TYPES = ("comment", "email", "email_outgoing")
CUSTOMER_MESSAGE_SQL = (
    "{t}model = 'res.partner' AND {t}message_type IN ('comment', 'email', 'email_outgoing')"
)


class MailMessage(models.Model):
    _name = "mail.message"
    _inherit = ("mail.message", "crm.relationship.customer.document")

    _crm_customer_path = "res_id"
    _crm_timeline_code = 5
    _crm_timeline_state_field = "message_type"
    _crm_contact_documents = True

    # The timeline reads the messages with customers of a period by date.
    _crm_timeline_date_idx = models.Index(f"(date) WHERE {sql_condition(CUSTOMER_MESSAGE_SQL, '')}")

    @api.model
    def _crm_get_customer_document_domain(self):
        """Comments and e-mails posted on a customer or one of its contacts."""
        return Domain("model", "=", "res.partner") & Domain("message_type", "in", CUSTOMER_MESSAGE_TYPES)

    @api.model
    def _crm_customer_document_sql(self, alias):
        return SQL("(%s)", SQL(sql_condition(CUSTOMER_MESSAGE_SQL, alias)))

    @api.model
    def _crm_get_timeline_entry_types(self):
        return [("message", self.env._("Message"))]

    @api.model
    def _crm_get_timeline_depends(self):
        return {"mail.message": ["date", "subject", "model", "res_id", "author_id", "message_type"]}

    @api.model
    def _crm_get_timeline_joins(self):
        return SQL(
            """JOIN res_partner rp ON rp.id = doc.res_id
          LEFT JOIN res_users ru ON ru.partner_id = doc.author_id"""
        )

    @api.model
    def _crm_get_timeline_columns(self):
        return {
            "date": "doc.date",
            "entry_type": "'message'",
            "department": "'other'",
            "name": "COALESCE(NULLIF(doc.subject, ''), rp.name)",
            "partner_id": "rp.id",
            "company_id": "rp.company_id",
            "user_id": "ru.id",
        }

    @api.model
    def _crm_get_timeline_summaries(self, ids):
        """The beginning of the message."""
        return {message.id: tools.html2plaintext(message.body or "")[:120] for message in self.browse(ids)}

    def _crm_get_customer_ids(self):
        """Customers (commercial partner ids) for whom these messages count as a contact."""
        messages = self.sudo().filtered(lambda message: message.model == "res.partner")
        return self.env["res.partner"]._crm_get_customers_of("mail.message", messages.ids)

    @api.model_create_multi
    def create(self, vals_list):
        messages = super().create(vals_list)
        on_partners = messages.filtered(
            lambda message: message.model == "res.partner" and message.message_type in CUSTOMER_MESSAGE_TYPES
        )
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
