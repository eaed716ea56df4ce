from odoo import api, fields, models

PIPELINE_FIELDS = ("email", "phone", "parent_id", "is_company", "active")


class ResPartner(models.Model):
    _inherit = "res.partner"

    crm_lead_count = fields.Integer(
        string="Open Leads",
        compute="_compute_crm_pipeline_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_opportunity_count = fields.Integer(
        string="Open Opportunities",
        compute="_compute_crm_pipeline_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_opportunity_amount = fields.Monetary(
        string="Expected Revenue",
        currency_field="crm_currency_id",
        compute="_compute_crm_pipeline_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_opportunity_weighted_amount = fields.Monetary(
        string="Weighted Revenue",
        currency_field="crm_currency_id",
        compute="_compute_crm_pipeline_figures",
        groups="crm_relationship.crm_relationship_group_user",
        help="Expected revenue of the open opportunities weighted by their probability.",
    )
    crm_opportunity_stages = fields.Char(
        string="Stages",
        compute="_compute_crm_pipeline_figures",
        groups="crm_relationship.crm_relationship_group_user",
        help="Open opportunities per stage.",
    )
    crm_opportunity_won_count = fields.Integer(
        string="Won (12 Months)",
        compute="_compute_crm_pipeline_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_opportunity_won_amount = fields.Monetary(
        string="Won Revenue (12 Months)",
        currency_field="crm_currency_id",
        compute="_compute_crm_pipeline_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_opportunity_lost_count = fields.Integer(
        string="Lost (12 Months)",
        compute="_compute_crm_pipeline_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_opportunity_lost_reasons = fields.Char(
        string="Lost Reasons",
        compute="_compute_crm_pipeline_figures",
        groups="crm_relationship.crm_relationship_group_user",
        help="Opportunities lost in the last 12 months per reason.",
    )
    crm_opportunity_next_activity = fields.Char(
        string="Next Sales Activity",
        compute="_compute_crm_pipeline_figures",
        groups="crm_relationship.crm_relationship_group_user",
        help="The earliest activity planned on the open opportunities.",
    )

    @api.depends_context("company", "allowed_company_ids", "lang")
    def _compute_crm_pipeline_figures(self):
        self._crm_compute_figures("crm.lead", "pipeline")

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        self.env["crm.lead"]._crm_rematch_customers(partners)
        return partners

    def write(self, vals):
        if not any(fname in vals for fname in PIPELINE_FIELDS):
            return super().write(vals)
        # the leads matched by the former address or number are matched again too
        former = self.sudo()
        emails, phones = former.mapped("email_normalized"), former.mapped("phone_sanitized")
        result = super().write(vals)
        self.env["crm.lead"]._crm_rematch_customers(self, emails, phones)
        return result

    def unlink(self):
        """The leads the deleted contacts matched by e-mail or phone are matched again."""
        former = self.sudo()
        emails, phones = former.mapped("email_normalized"), former.mapped("phone_sanitized")
        result = super().unlink()
        self.env["crm.lead"]._crm_rematch_customers(self.browse(), emails, phones)
        return result

    @api.readonly
    def action_view_crm_opportunities(self):
        """The customer's leads and opportunities, open, won and lost: Sales rights needed."""
        self.ensure_one()
        self._crm_check_access("crm.lead", "read")
        action = self._crm_action_documents("crm.crm_lead_all_leads", "crm.lead")
        customer = self.commercial_partner_id
        action["context"] = {
            "default_partner_id": customer.id,
            "default_type": "opportunity",
            "active_test": False,
        }
        action["display_name"] = self.env._("Pipeline of %s", customer.display_name)
        return action
