from odoo import api, models
from odoo.fields import Domain


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model
    def action_crm_send_mailing(self):
        """Open a new mailing to the customers selected in a list (marketing users).

        The audience is the list's domain (``active_domain``) when every record
        it shows is selected, so that a saved filter such as "Champions not
        contacted in 60 days" stays the audience at send time; otherwise it is
        the selected customers.
        """
        self.env["mailing.mailing"].check_access("create")
        return self.env["mailing.mailing"]._crm_action_new_mailing(self._get_crm_mailing_audience_domain())

    @api.model
    def _get_crm_mailing_audience_domain(self):
        """Domain of the customers of a list's selection, from ``active_ids`` and ``active_domain``."""
        context = self.env.context
        active_ids = context.get("active_ids") or []
        active_domain = context.get("active_domain")
        if active_domain is not None:
            domain = Domain(active_domain)
            limit = int(self.env["ir.config_parameter"].sudo().get_param("web.active_ids_limit", 20000))
            if len(active_ids) >= min(self.search_count(domain, limit=limit), limit):
                return domain
        return Domain("id", "in", self.browse(active_ids).exists().ids)
