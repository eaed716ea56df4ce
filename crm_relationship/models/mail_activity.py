from collections import defaultdict

from odoo import api, models

# Changes that can make another activity the earliest one of a customer.
NEXT_ACTIVITY_FIELDS = {"res_model", "res_model_id", "res_id", "date_deadline", "active"}


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _crm_get_owners(self):
        """``{activity id: (customer id, company id)}`` of the activities on
        partners and on the documents of ``res.partner._crm_next_activity_models()``."""
        Partner = self.env["res.partner"]
        counted_models = set(Partner._crm_next_activity_models())
        activity_ids = defaultdict(lambda: defaultdict(list))
        for activity in self.sudo():
            if activity.res_model in counted_models and activity.res_id:
                activity_ids[activity.res_model][activity.res_id].append(activity.id)
        owners = {}
        for res_model, by_record in activity_ids.items():
            for res_id, owner in Partner._crm_get_record_owners(res_model, by_record).items():
                owners.update(dict.fromkeys(by_record[res_id], owner))
        return owners

    def _crm_get_customer_pairs(self):
        """``[(customer id, activity id)]`` of the activities that count as a next action."""
        return [
            (customer_id, activity_id)
            for activity_id, (customer_id, __) in self._crm_get_owners().items()
            if customer_id
        ]

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
