from odoo import fields, models
from odoo.tools import SQL


class CrmRelationshipDefectRateMixin(models.AbstractModel):
    """Defects against units delivered, for the defect analysis reports.

    A report mixing it in has a row per defect report (``defect_count`` 1) and
    a row per delivery of a unit to a customer (``delivered_qty``, negative for
    returns): the defect rate of any group is its defects per 100 units
    delivered, computed from the group's sums rather than averaged over rows.
    """

    _name = "crm.relationship.defect.rate.mixin"
    _description = "Defect Rate"

    defect_count = fields.Integer(string="# Defects", readonly=True)
    delivered_qty = fields.Float(string="Units Delivered", readonly=True)
    defect_rate = fields.Float(
        string="Defect Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Defects per 100 units delivered to customers.",
    )

    def _read_group_select(self, aggregate_spec, query):
        if aggregate_spec != "defect_rate:avg":
            return super()._read_group_select(aggregate_spec, query)
        return SQL(
            "COALESCE(100.0 * SUM(%(defects)s) / NULLIF(SUM(%(delivered)s), 0), 0)",
            defects=self._field_to_sql(self._table, "defect_count", query),
            delivered=self._field_to_sql(self._table, "delivered_qty", query),
        )
