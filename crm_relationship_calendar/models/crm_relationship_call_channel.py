from odoo import fields, models

from .calendar_event import CONTACT_KINDS


class CrmRelationshipCallChannel(models.Model):
    _inherit = "crm.relationship.call.channel"

    # public: channels are read by Customer Relationship users only (model access), a setting and no figure.
    crm_event_kind = fields.Selection(
        CONTACT_KINDS,
        string="Planned in the Calendar as",
        help="Calls of this channel (visits, appointments) are planned in the calendar, with the customer's "
        "contact as attendee, and closed with the outcome of the event.",
    )
