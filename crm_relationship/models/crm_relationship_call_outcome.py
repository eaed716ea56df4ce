from odoo import fields, models


class CrmRelationshipCallOutcome(models.Model):
    """What a contact with a customer led to: solved, call back, defect reported, ..."""

    _name = "crm.relationship.call.outcome"
    _description = "Call Outcome"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    description = fields.Text(translate=True)
