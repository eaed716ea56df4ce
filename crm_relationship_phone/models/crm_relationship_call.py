from odoo import api, fields, models


class CrmRelationshipCall(models.Model):
    _inherit = "crm.relationship.call"

    # The phone system's record of the call: for Customer Relationship users, who alone read phone calls.
    phone_call_id = fields.Many2one(
        "crm.relationship.phone.call",
        readonly=True,
        groups="crm_relationship.crm_relationship_group_user",
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        check_company=True,
        help="The call as the phone system reported it.",
    )
    phone_number = fields.Char(
        related="phone_call_id.number", string="Number", groups="crm_relationship.crm_relationship_group_user"
    )
    phone_state = fields.Selection(
        related="phone_call_id.state",
        string="Phone Status",
        groups="crm_relationship.crm_relationship_group_user",
    )
    phone_talk_seconds = fields.Integer(
        related="phone_call_id.talk_seconds",
        string="Talk Time (s)",
        groups="crm_relationship.crm_relationship_group_user",
    )
    phone_wait_seconds = fields.Integer(
        related="phone_call_id.wait_seconds",
        string="Wait Time (s)",
        groups="crm_relationship.crm_relationship_group_user",
    )

    @api.model_create_multi
    def create(self, vals_list):
        calls = super().create(vals_list)
        calls.filtered("phone_call_id")._crm_link_phone_call()
        return calls

    def _crm_link_phone_call(self):
        """A call logged by hand from the pop-up of an unknown number tells the phone call who called."""
        for call in self.sudo():
            if not call.phone_call_id.partner_id:
                call.phone_call_id.write({"partner_id": call.partner_id.id, "contact_id": call.contact_id.id})

    def _crm_sync_phone_call(self, phone_call):
        """Operator, start and duration of the calls recording ``phone_call``, as the PBX reported them."""
        values = phone_call._crm_get_crm_call_times()
        if phone_call.user_id:
            values["user_id"] = phone_call.user_id.id
        for call in self:
            changed = {
                fname: value
                for fname, value in values.items()
                if call[fname] != call._fields[fname].convert_to_record(value, call)
            }
            if changed:
                call.write(changed)
