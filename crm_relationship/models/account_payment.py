from odoo import models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    # The card and the timeline read the payments of a customer's partners.
    _crm_partner_idx = models.Index("(partner_id)")
    # The timeline reads the payments of a period by date.
    _crm_timeline_date_idx = models.Index("((date::timestamp)) WHERE partner_type = 'customer'")
