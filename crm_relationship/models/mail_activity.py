from collections import defaultdict

from odoo import api, models

# Changes that can make another activity the earliest one of a customer.
NEXT_ACTIVITY_FIELDS = {"res_model", "res_model_id", "res_id", "date_deadline", "active"}


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _crm_get_customer_pairs(self):
        """``[(customer id, activity id)]`` of the activities on partners and on
        the documents of ``res.partner._crm_next_activity_models()``."""
        Partner = self.env["res.partner"]
        counted_models = set(Partner._crm_next_activity_models())
        activity_ids = defaultdict(lambda: defaultdict(list))
        for activity in self.sudo():
            if activity.res_model in counted_models and activity.res_id:
                activity_ids[activity.res_model][activity.res_id].append(activity.id)
        pairs = []
        for res_model, by_record in activity_ids.items():
            customers = Partner._crm_get_customer_by_record(res_model, by_record)
            for res_id, ids in by_record.items():
                if res_id in customers:
                    pairs += [(customers[res_id], activity_id) for activity_id in ids]
        return pairs

    @api.model_create_multi
    def create(self, vals_list):
        activities = super().create(vals_list)
        self.env["res.partner"]._crm_offer_next_activities(activities._crm_get_customer_pairs())
        return activities

    def write(self, vals):
        if not NEXT_ACTIVITY_FIELDS & vals.keys():
            return super().write(vals)
        Partner = self.env["res.partner"]
        planning = Partner._crm_get_customers_planning(self.ids)
        result = super().write(vals)
        Partner._crm_refresh_relationship_status(planning, last_contact=False)
        Partner._crm_offer_next_activities(self._crm_get_customer_pairs())
        return result

    def unlink(self):
        Partner = self.env["res.partner"]
        planning = Partner._crm_get_customers_planning(self.ids)
        result = super().unlink()
        Partner._crm_refresh_relationship_status(planning, last_contact=False)
        return result
