from odoo import fields, models


class MailingFilter(models.Model):
    _inherit = "mailing.filter"

    # public: read with the filter by every user of mailings; it names a segment, no customer data.
    crm_segment_id = fields.Many2one(
        "crm.relationship.rfm.segment",
        string="Customer Segment",
        readonly=True,
        index="btree_not_null",
        ondelete="cascade",
        help="The audience is the customers of this segment, kept in step with the segment.",
    )

    _crm_segment_uniq = models.UniqueIndex("(crm_segment_id) WHERE crm_segment_id IS NOT NULL")
