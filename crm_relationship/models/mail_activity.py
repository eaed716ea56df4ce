from collections import defaultdict

from odoo import api, models

# Changes that can make another activity the earliest one of a customer.
NEXT_ACTIVITY_FIELDS = {"res_model", "res_model_id", "res_id", "date_deadline", "active"}


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _crm_get_customer_ids(self):
        """Customers (commercial partner ids) whose next planned action these
        activities may be: activities on partners and on the documents of
        ``res.partner._crm_next_activity_models()``."""
        Partner = self.env["res.partner"]
        counted_models = set(Partner._crm_next_activity_models())
        res_ids = defaultdict(set)
        for activity in self.sudo():
            if activity.res_model in counted_models:
                res_ids[activity.res_model].add(activity.res_id)
        customer_ids = set()
        for res_model, ids in res_ids.items():
            customer_ids |= Partner._crm_get_customers_of(res_model, ids)
        return customer_ids

    @api.model_create_multi
    def create(self, vals_list):
        activities = super().create(vals_list)
        self.env["res.partner"]._crm_refresh_relationship_status(
            activities._crm_get_customer_ids(), last_contact=False
        )
        return activities

    def write(self, vals):
        if not NEXT_ACTIVITY_FIELDS & vals.keys():
            return super().write(vals)
        customer_ids = self._crm_get_customer_ids()
        result = super().write(vals)
        self.env["res.partner"]._crm_refresh_relationship_status(
            customer_ids | self._crm_get_customer_ids(), last_contact=False
        )
        return result

    def unlink(self):
        customer_ids = self._crm_get_customer_ids()
        result = super().unlink()
        self.env["res.partner"]._crm_refresh_relationship_status(customer_ids, last_contact=False)
        return result
