from odoo import fields, models


class CrmRelationshipCallChannel(models.Model):
    """How a contact with a customer happened: phone, e-mail, visit, ..."""

    _name = "crm.relationship.call.channel"
    _description = "Contact Channel"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    icon = fields.Char(help="Font Awesome icon shown next to the channel, e.g. fa-phone.")
    description = fields.Text(translate=True)
