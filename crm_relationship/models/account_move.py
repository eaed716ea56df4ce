from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _prepare_crm_call_values(self):
        """Values of a call logged from the invoice; override to pre-fill more."""
        self.ensure_one()
        values = self.env["crm.relationship.call"]._prepare_partner_call_values(self.partner_id)
        values.update(
            {
                "invoice_id": self.id,
                "company_id": self.company_id.id,
                "department": "administration",
                "subject": self.env._("About %s", self.name),
            }
        )
        return values

    def action_crm_log_call(self):
        self.ensure_one()
        self.env["crm.relationship.call"].check_access("create")
        self.check_access("read")
        return self.env["crm.relationship.call"]._get_log_call_action(self._prepare_crm_call_values())
