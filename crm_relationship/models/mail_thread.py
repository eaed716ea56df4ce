from odoo import api, models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def _routing_check_route(self, message, message_dict, route, raise_exception=True):
        """Let defect reports refuse the e-mails of people not involved in them.

        Every incoming route to a defect report goes through here, whether it
        is a reply found by its references (routed through the catchall) or
        an alias or fallback route.
        """
        route = super()._routing_check_route(message, message_dict, route, raise_exception=raise_exception)
        if route and route[0] == "crm.relationship.defect":
            return self.env["crm.relationship.defect"]._routing_check_defect_route(
                message, message_dict, route
            )
        return route
