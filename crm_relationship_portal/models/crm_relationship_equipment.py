from odoo import models


class CrmRelationshipEquipment(models.Model):
    _inherit = "crm.relationship.equipment"

    def _crm_is_under_warranty(self):
        """Whether the unit is covered by its warranty today (computed, never stored)."""
        self.ensure_one()
        return self.warranty_state in ("in_warranty", "expiring")
