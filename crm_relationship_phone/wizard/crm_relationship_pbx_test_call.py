import uuid

from odoo import fields, models
from odoo.exceptions import UserError


class CrmRelationshipPbxTestCall(models.TransientModel):
    """Run the chain of an incoming call without a phone: the event goes through
    the same handling as the PBX's (lookup, phone call record, pop-up on the
    screens of the extension or queue), marked as a test so no customer call
    and no call-back are made."""

    _name = "crm.relationship.pbx.test.call"
    _description = "Send a Test Call"

    pbx_id = fields.Many2one("crm.relationship.pbx", string="PBX", required=True, ondelete="cascade")
    number = fields.Char(
        string="Calling Number",
        required=True,
        help="The number the test call comes from: a customer's number shows its card.",
    )
    extension = fields.Char(
        default=lambda self: self._default_extension(),
        help="The extension that rings: yours by default.",
    )
    queue_id = fields.Many2one("crm.relationship.pbx.queue", domain="[('pbx_id', '=', pbx_id)]")

    def _default_extension(self):
        pbx = self.env["crm.relationship.pbx"].browse(self.env.context.get("default_pbx_id"))
        return pbx.exists()._crm_get_user_extension(self.env.user) if pbx.exists() else False

    def _prepare_event_values(self):
        """The event the test sends, as a PBX would; override to test more."""
        self.ensure_one()
        return {
            "call_id": f"test-{uuid.uuid4()}",
            "event": "ringing",
            "direction": "inbound",
            "number": self.number,
            "extension": self.extension,
            "queue": self.queue_id.code,
        }

    def action_send(self):
        self.ensure_one()
        self.pbx_id.check_access("write")
        PhoneCall = self.env["crm.relationship.phone.call"]
        event = PhoneCall._crm_normalize_event(self._prepare_event_values())
        ((call, __),) = PhoneCall._crm_handle_events(self.pbx_id.sudo(), [event], test=True)
        if not call.notified_user_ids:
            raise UserError(
                self.env._(
                    "Nobody would see this call: give the extension %(extension)s to a user on the PBX, "
                    "or choose a queue with members.",
                    extension=self.extension or "-",
                )
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Test call sent: %(count)s matching contacts, shown to %(users)s.",
                    count=call.match_count,
                    users=", ".join(call.notified_user_ids.mapped("name")),
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
