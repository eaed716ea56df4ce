from odoo import fields, models


class CrmRelationshipValueModelLine(models.Model):
    """One figure of a value model's check on the company's own history.

    For the customers with the same number of repeat purchases before the
    check period, the purchases per customer in the period: what they
    actually bought, what the model predicted, what the naive forecast said.
    """

    _name = "crm.relationship.value.model.line"
    _description = "Customer Value Model Check"
    _order = "model_id, sequence, series"

    model_id = fields.Many2one("crm.relationship.value.model", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="model_id.company_id", store=True, index=True)
    date = fields.Date(related="model_id.date", store=True)
    sequence = fields.Integer()
    purchases_group = fields.Char(
        string="Repeat Purchases Before", required=True, help="Repeat purchases before the check period."
    )
    customer_count = fields.Integer(string="Customers", aggregator="max")
    series = fields.Selection(
        [("actual", "Actual"), ("model", "Predicted by the Model"), ("naive", "Naive Forecast")],
        string="Figure",
        required=True,
    )
    purchases = fields.Float(
        string="Purchases per Customer", digits=(16, 3), aggregator="avg", help="In the check period."
    )
