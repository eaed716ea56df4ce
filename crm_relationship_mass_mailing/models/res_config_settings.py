from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # public: the settings are open to administrators only.
    crm_mailing_guard_share = fields.Integer(related="company_id.crm_mailing_guard_share", readonly=False)
