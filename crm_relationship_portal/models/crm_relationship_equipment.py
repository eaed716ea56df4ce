from odoo import models


class CrmRelationshipEquipment(models.Model):
    _inherit = "crm.relationship.equipment"
