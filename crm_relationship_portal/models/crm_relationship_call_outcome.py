from odoo import fields, models


class CrmRelationshipCallOutcome(models.Model):
    _inherit = "crm.relationship.call.outcome"

    crm_request_rating = fields.Boolean(
        string="Ask Satisfaction",
        help="A call closed with this outcome sends the customer a satisfaction request.",
    )
