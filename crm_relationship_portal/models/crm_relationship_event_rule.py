from odoo import models


class CrmRelationshipEventRule(models.Model):
    _inherit = "crm.relationship.event.rule"
