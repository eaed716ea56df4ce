from odoo import fields, models


class CrmRelationshipSegmentMove(models.Model):
    """A customer moving from one RFM segment to another.

    Written by the RFM job (:meth:`crm.relationship.rfm.segment._update_rfm_scores`)
    in the same statement that stores the new segment, for customers that had
    scores before: the first scoring of a customer is no movement. Event rules
    of type "Segment changed" fire on these lines, once per line.
    """

    _name = "crm.relationship.segment.move"
    _description = "Customer Segment Change"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        "res.company",
        readonly=True,
        index=True,
        help="The company whose customers the customer was scored against.",
    )
    date = fields.Date(required=True, readonly=True, default=fields.Date.context_today)
    segment_from_id = fields.Many2one(
        "crm.relationship.rfm.segment", string="From Segment", readonly=True, ondelete="set null"
    )
    segment_to_id = fields.Many2one(
        "crm.relationship.rfm.segment", string="To Segment", readonly=True, ondelete="set null", index=True
    )
    score_from = fields.Integer(string="Score Before", readonly=True, aggregator="avg")
    score_to = fields.Integer(string="Score After", readonly=True, aggregator="avg")
    score_change = fields.Integer(
        readonly=True,
        aggregator="avg",
        help="RFM score after minus before: negative when the customer is cooling down.",
    )
