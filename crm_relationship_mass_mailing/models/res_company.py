from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    # public: the send guard reads it as the mailing's sender, in the mail queue too.
    crm_mailing_guard_share = fields.Integer(
        string="Mailing Audience Guard (%)",
        default=10,
        help="A mailing is not sent when its audience differs from the one previewed by more than this "
        "share, in either direction; 0 disables the guard.",
    )

    _crm_mailing_guard_share_check = models.Constraint(
        "CHECK(crm_mailing_guard_share BETWEEN 0 AND 100)",
        "The mailing audience guard is a share between 0 and 100%.",
    )
