from odoo import api, models
from odoo.fields import Domain


class CrmRelationshipCustomerDocument(models.AbstractModel):
    _inherit = "crm.relationship.customer.document"

    @api.model
    def _crm_get_portal_domain(self, partner):
        """The documents of this type the portal users of ``partner`` see: the
        customer documents of its commercial entity, in every company. The
        portal's routes read the units and the requests through this domain
        only; override on a document type to hide some of them."""
        return self._crm_get_customer_document_domain() & Domain(
            self._crm_customer_path, "=", partner.commercial_partner_id.id
        )
