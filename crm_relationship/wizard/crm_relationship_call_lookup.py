from odoo import api, fields, models
from odoo.exceptions import UserError


class CrmRelationshipCallLookup(models.TransientModel):
    """Find who is calling from a phone number, then log the call.

    The number may be typed in any common format (spaces, dashes, dots,
    parentheses, ``+39`` or ``0039``, national in the country of the user's
    company): it is read as E.164 like the numbers of the contacts and
    matched on their indexed ``phone_sanitized`` (see
    ``res.partner._crm_search_by_phone``). A number matching no one offers to
    create the contact.
    """

    _name = "crm.relationship.call.lookup"
    _description = "Caller Lookup"

    phone = fields.Char(string="Phone Number", required=True)
    match_ids = fields.Many2many(
        "res.partner", string="Matching Contacts", compute="_compute_match_ids", readonly=True
    )
    match_count = fields.Integer(compute="_compute_match_ids")
    contact_id = fields.Many2one(
        "res.partner",
        string="Caller",
        compute="_compute_contact_id",
        compute_sudo=False,
        store=True,
        readonly=False,
        domain="[('id', 'in', match_ids)]",
    )
    direction = fields.Selection(
        [("inbound", "Inbound"), ("outbound", "Outbound")], required=True, default="inbound"
    )
    new_contact_name = fields.Char(string="Name of the New Contact")
    new_contact_parent_id = fields.Many2one(
        "res.partner",
        string="Works For",
        domain="[('is_company', '=', True)]",
        help="The customer the new contact works for; leave empty for a private customer.",
    )

    @api.depends("phone")
    def _compute_match_ids(self):
        for wizard in self:
            wizard.match_ids = self.env["res.partner"]._crm_search_by_phone(wizard.phone)
            wizard.match_count = len(wizard.match_ids)

    @api.depends("match_ids")
    def _compute_contact_id(self):
        for wizard in self:
            if wizard.contact_id not in wizard.match_ids or not wizard.contact_id:
                wizard.contact_id = wizard.match_ids[:1]

    @api.readonly
    def onchange(self, values, field_names, fields_spec):
        """The web client computes the matches here as the number is typed, while the customer
        waits on the phone. Only reads: served by a read replica when Odoo has one."""
        return super().onchange(values, field_names, fields_spec)

    def _prepare_call_values(self):
        """Values of the call opened for the caller; override to pre-fill more (queue, channel, ...)."""
        self.ensure_one()
        values = self.env["crm.relationship.call"]._prepare_partner_call_values(self.contact_id)
        values["direction"] = self.direction
        channel = self.env.ref(
            "crm_relationship.crm_relationship_call_channel_phone", raise_if_not_found=False
        )
        if channel:
            values["channel_id"] = channel.id
        return values

    def _prepare_contact_values(self):
        """Values of the contact created for an unknown number; override to pre-fill more."""
        self.ensure_one()
        return {
            "name": self.new_contact_name,
            "phone": self.phone,
            "parent_id": self.new_contact_parent_id.id,
        }

    def action_log_call(self):
        self.ensure_one()
        if not self.contact_id:
            raise UserError(self.env._("No contact matches this number: create the contact first."))
        self.contact_id.check_access("read")
        return self.env["crm.relationship.call"]._get_log_call_action(self._prepare_call_values())

    def action_create_contact(self):
        self.ensure_one()
        if not (self.new_contact_name or "").strip():
            raise UserError(self.env._("Give the name of the new contact."))
        self.new_contact_parent_id.check_access("write")
        self.contact_id = self.env["res.partner"].create(self._prepare_contact_values())
        return self.action_log_call()
