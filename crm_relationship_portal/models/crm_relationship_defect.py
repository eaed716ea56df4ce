from odoo import api, models


class CrmRelationshipDefect(models.Model):
    _name = "crm.relationship.defect"
    _inherit = ("crm.relationship.rating.mixin", "crm.relationship.defect")
    _crm_rating_partner_field = "contact_id"
    _crm_rating_user_field = "user_call_center_id"

    # ------------------------------------------------------------------
    # Satisfaction
    # ------------------------------------------------------------------

    @api.model
    def _crm_get_rating_template(self):
        return self.env.ref("crm_relationship_portal.crm_relationship_defect_mail_template_rating")

    def action_resolve(self):
        """Resolve the reports and ask their customers how it went."""
        res = super().action_resolve()
        self._crm_send_rating_request()
        return res

    def _crm_get_low_rating_responsible(self):
        return self.user_call_center_id or super()._crm_get_low_rating_responsible()
