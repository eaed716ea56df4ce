from odoo import api, models
from odoo.exceptions import AccessError
from odoo.tools import SQL


class RatingRating(models.Model):
    """The satisfaction requests of the add-on's documents, and the customers' answers.

    Odoo lets every employee write ratings. The answers to the requests of the
    documents asking for satisfaction (``crm.relationship.rating.mixin``) are
    the customers' own and feed the satisfaction of each operator and
    department: they are created, changed and deleted with superuser rights
    only (the request sent, the customer's answer on the rating page, the
    document deleted), never by an employee over RPC.
    """

    _inherit = "rating.rating"

    @api.model
    def _crm_is_rated_model(self, model_name):
        """Whether ``model_name`` is a document asking its customers for satisfaction."""
        rated = self.env.registry.descendants(["crm.relationship.rating.mixin"], "_inherit")
        return model_name in rated - {"crm.relationship.rating.mixin"}

    def _crm_check_customer_answers(self, model_names):
        if self.env.su or not any(self._crm_is_rated_model(name) for name in model_names):
            return
        raise AccessError(
            self.env._(
                "Satisfaction answers are the customers' own: they cannot be created, changed or "
                "deleted by hand."
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        model_ids = [vals["res_model_id"] for vals in vals_list if vals.get("res_model_id")]
        self._crm_check_customer_answers(self.env["ir.model"].sudo().browse(model_ids).mapped("model"))
        self._crm_check_customer_answers([vals["res_model"] for vals in vals_list if vals.get("res_model")])
        return super().create(vals_list)

    def write(self, vals):
        self._crm_check_customer_answers(self.sudo().mapped("res_model"))
        return super().write(vals)

    def unlink(self):
        self._crm_check_customer_answers(self.sudo().mapped("res_model"))
        return super().unlink()

    def _crm_lock_consumed(self):
        """Lock the request and tell whether it was answered.

        Two answers submitted at once: the second waits for the first, then
        fails to serialize and is run again by Odoo, when it sees the request
        answered."""
        self.ensure_one()
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL("SELECT consumed FROM rating_rating WHERE id = %s FOR NO KEY UPDATE", self.id)
        )
        self.invalidate_recordset(["consumed"])
        return bool(rows and rows[0][0])
