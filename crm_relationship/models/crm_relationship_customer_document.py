from odoo import models


class CrmRelationshipCustomerDocument(models.AbstractModel):
    """A document of a customer whose open activities count as the customer's
    next planned action (see ``res.partner._crm_next_activity_models()``)."""

    _name = "crm.relationship.customer.document"
    _description = "Customer Document"

    def write(self, vals):
        """Move the open activities of documents given to another customer
        (``partner_id``) to that customer's next planned action."""
        if "partner_id" not in vals or not self.sudo().activity_ids:
            return super().write(vals)
        Partner = self.env["res.partner"]
        customer_ids = Partner._crm_get_customers_of(self._name, self.ids)
        result = super().write(vals)
        Partner._crm_refresh_relationship_status(
            customer_ids | Partner._crm_get_customers_of(self._name, self.ids), last_contact=False
        )
        return result
