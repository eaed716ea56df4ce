from odoo import api, models


class CrmRelationshipCall(models.Model):
    _name = "crm.relationship.call"
    _inherit = ("crm.relationship.rating.mixin", "crm.relationship.call")
    _crm_rating_partner_field = "contact_id"
    _crm_rating_user_field = "user_id"

    @api.model
    def _crm_get_rating_template(self):
        return self.env.ref("crm_relationship_portal.crm_relationship_call_mail_template_rating")

    def write(self, vals):
        closing = (
            self.browse() if vals.get("state") != "done" else self.filtered(lambda call: call.state != "done")
        )
        res = super().write(vals)
        if closing:
            closing._crm_request_rating_on_close()
        return res

    def _crm_request_rating_on_close(self):
        """Ask the customers of the calls just closed with an outcome asking for it."""
        to_ask = self.filtered(
            lambda call: (
                call.outcome_id.crm_request_rating and call.partner_id and not call.crm_rating_requested
            )
        )
        if to_ask:
            to_ask._crm_send_rating_request()
