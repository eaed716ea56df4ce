import re

from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL


def sql_condition(template, alias):
    """``template`` (SQL text whose column names are prefixed by ``{t}``) for
    the table alias ``alias``, or for the bare table when ``alias`` is empty
    (index predicates). One text serves a rule's SQL twin and its indexes."""
    if alias and not re.fullmatch(r"[a-z_][a-z0-9_]*", alias):
        raise ValueError(f"Invalid table alias: {alias!r}")
    return template.format(t=f"{alias}." if alias else "")


class CrmRelationshipCustomerDocument(models.AbstractModel):
    """A type of document that belongs to a customer.

    Each document type (offers and orders, delivery notes, invoices, ...)
    declares here, once, what a customer's document is: a domain and its SQL
    twin. The card figures, the timeline, the alerts, the analyses and the
    scheduled jobs read the rule from the document type instead of spelling it
    again.
    """

    _name = "crm.relationship.customer.document"
    _description = "Customer Document"

    # Path from a document to a partner whose commercial entity is the customer.
    _crm_customer_path = "partner_id.commercial_partner_id"

    @api.model
    def _crm_get_customer_document_domain(self):
        """Records of this model that are customer documents; override on each document type."""
        return Domain.TRUE

    @api.model
    def _crm_customer_document_sql(self, alias):
        """SQL twin of :meth:`_crm_get_customer_document_domain` on the table alias ``alias``."""
        return SQL("TRUE")

    @api.model
    def _crm_get_documents_domain(self, customers):
        """Customer documents of ``customers`` (commercial partners) in the companies active for the user."""
        return (
            self._crm_get_customer_document_domain()
            & Domain(self._crm_customer_path, "in", customers.ids)
            & Domain("company_id", "in", self.env.companies.ids)
        )

    def write(self, vals):
        """Move the open activities of documents given to another customer
        (``partner_id``) to that customer's next planned action."""
        if "partner_id" not in vals or "activity_ids" not in self._fields or not self.sudo().activity_ids:
            return super().write(vals)
        Partner = self.env["res.partner"]
        customer_ids = Partner._crm_get_customers_of(self._name, self.ids)
        result = super().write(vals)
        Partner._crm_refresh_relationship_status(
            customer_ids | Partner._crm_get_customers_of(self._name, self.ids), last_contact=False
        )
        return result
