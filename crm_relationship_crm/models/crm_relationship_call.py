from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class CrmRelationshipCall(models.Model):
    """A call asking to buy becomes an opportunity in one click."""

    _inherit = "crm.relationship.call"

    crm_lead_id = fields.Many2one(
        "crm.lead",
        string="Opportunity",
        index="btree_not_null",
        copy=False,
        ondelete="set null",
        tracking=True,
        groups="sales_team.group_sale_salesman",
        domain="[('crm_customer_id', '=', partner_id)]",
        help="The opportunity this call opened or is about.",
    )

    def action_crm_create_opportunity(self):
        """Turn the call into an opportunity of its customer and contact, with
        its notes, linked both ways, and open it."""
        self.ensure_one()
        self.check_access("write")
        Lead = self.env["crm.lead"]
        Lead.check_access("create")
        if self.crm_lead_id:
            raise UserError(
                self.env._(
                    "The call '%(call)s' is already linked to the opportunity '%(opportunity)s'.",
                    call=self.display_name,
                    opportunity=self.crm_lead_id.display_name,
                )
            )
        lead = Lead.create(self._prepare_crm_opportunity_values())
        self.crm_lead_id = lead
        lead.message_post(
            body=Markup(self.env._("Opportunity created from the call %s.")) % self._get_html_link()
        )
        return lead._get_records_action(context={})

    def _prepare_crm_opportunity_values(self):
        """Values of the opportunity created from this call; override to pre-fill more."""
        self.ensure_one()
        contact = self.contact_id or self.partner_id
        return {
            "name": self.subject,
            "type": "opportunity",
            "partner_id": contact.id,
            "user_id": self._crm_get_opportunity_user().id,
            "company_id": self.company_id.id,
            "description": self.notes,
        }

    def _crm_get_opportunity_user(self):
        """The salesperson of the opportunity: the customer's, unless the user
        only works on their own opportunities (Sales: Own Documents Only) and
        may not give one to a colleague; then the user."""
        self.ensure_one()
        salesperson = self.partner_id.user_id
        if salesperson and (
            salesperson == self.env.user
            or self.env.user.has_group("sales_team.group_sale_salesman_all_leads")
        ):
            return salesperson
        return self.env.user

    @api.model
    def _crm_presale_sql(self, alias):
        """Whether the call ``alias`` is pre-sale time: it is about an opportunity."""
        return SQL("%s IS NOT NULL", SQL.identifier(alias, "crm_lead_id"))
