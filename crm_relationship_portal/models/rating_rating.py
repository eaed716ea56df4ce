from odoo import models
from odoo.tools import SQL


class RatingRating(models.Model):
    _inherit = "rating.rating"

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
