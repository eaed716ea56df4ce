from odoo import fields, models
from odoo.exceptions import UserError


class ResPartner(models.Model):
    _inherit = "res.partner"

    def action_crm_dial(self):
        """Click-to-dial: the PBX rings the user's phone, then calls this contact.
        The outbound call is recorded like the calls the PBX reports."""
        self.ensure_one()
        self.check_access("read")
        self.env["crm.relationship.call"].check_access("create")
        if not self.phone:
            raise UserError(self.env._("%s has no phone number.", self.display_name))
        Pbx = self.env["crm.relationship.pbx"]
        pbx, extension = Pbx._crm_get_user_pbx()
        if not pbx:
            raise UserError(
                self.env._(
                    "You have no extension on a phone system of %(company)s: ask an administrator "
                    "to give you one on your user.",
                    company=self.env.company.name,
                )
            )
        pbx = pbx.sudo()
        call_id = pbx._crm_originate(extension, self.phone)
        PhoneCall = self.env["crm.relationship.phone.call"].with_context(crm_phone_dialled_partner_id=self.id)
        event = PhoneCall._crm_normalize_event(
            {
                "call_id": call_id,
                "event": "ringing",
                "direction": "outbound",
                "number": self.phone,
                "extension": extension,
                "timestamp": fields.Datetime.now().isoformat(),
            }
        )
        PhoneCall._crm_handle_events(pbx, [event])
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._(
                    "Your phone (extension %(extension)s) rings first, then %(number)s is dialled.",
                    extension=extension,
                    number=self.phone,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
