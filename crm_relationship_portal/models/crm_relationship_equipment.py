from odoo import api, models
from odoo.fields import Domain


class CrmRelationshipEquipment(models.Model):
    _inherit = "crm.relationship.equipment"

    @api.model
    def _crm_get_portal_domain(self, partner):
        """Units the portal users of ``partner`` see: the active units of its
        commercial entity. Every portal route reads the units through this
        domain; override to hide some units from the customers."""
        return Domain("partner_id", "=", partner.commercial_partner_id.id)

    def _crm_is_under_warranty(self):
        """Whether the unit is covered by its warranty today (computed, never stored)."""
        self.ensure_one()
        return self.warranty_state in ("in_warranty", "expiring")
