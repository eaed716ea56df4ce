from odoo import fields, models


class CrmRelationshipCallOutcome(models.Model):
    _inherit = "crm.relationship.call.outcome"

    # public: call outcomes are read by Customer Relationship users only (model access)
    crm_request_rating = fields.Boolean(
        string="Ask Satisfaction",
        help="A call closed with this outcome sends the customer a satisfaction request.",
    )
