from odoo import fields, models


class CrmRelationshipEventLog(models.Model):
    """One firing of an event rule for a customer.

    The period key says which occurrence of the event it is (the year for a
    yearly invoiced total, the last purchase for a silence, the newest defect
    counted for a defect series): a rule fires at most once per customer and
    period key, which the database guarantees.
    """

    _name = "crm.relationship.event.log"
    _description = "Customer Event"
    _order = "date desc, id desc"
    _rec_name = "rule_id"
    _check_company_auto = True

    rule_id = fields.Many2one("crm.relationship.event.rule", required=True, ondelete="cascade", index=True)
    rule_type = fields.Selection(related="rule_id.rule_type", string="Event Type")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, ondelete="cascade", index=True
    )
    period_key = fields.Char(string="Period", required=True)
    date = fields.Datetime(string="Fired on", required=True, default=fields.Datetime.now)
    value = fields.Float(
        digits=(16, 2), help="The figure that fired the rule: amount, days, defects or the new RFM score."
    )
    description = fields.Char()
    user_id = fields.Many2one("res.users", string="Responsible")
    activity_id = fields.Many2one("mail.activity", ondelete="set null")
    mail_sent = fields.Boolean(string="E-mail Sent")
    company_id = fields.Many2one(related="rule_id.company_id", store=True, index=True)

    _rule_partner_period_uniq = models.Constraint(
        "UNIQUE(rule_id, partner_id, period_key)",
        "An event rule fires only once per customer and period.",
    )
