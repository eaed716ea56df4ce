from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, format_date, frozendict


class CrmLead(models.Model):
    """Leads and opportunities on the card and the timeline of their customer.

    The customer of a lead is the commercial entity of its partner or, for a
    lead without partner, of the contact with the same e-mail address (else
    the same phone number): the request of a known person shows on the card
    of its company before anyone links it. Lost opportunities stay on the
    card (they are archived by Odoo); archived leads that were never lost do
    not.
    """

    _name = "crm.lead"
    _inherit = ("crm.lead", "crm.relationship.customer.document")

    _crm_customer_path = "crm_customer_id"
    _crm_timeline_code = 11
    _crm_timeline_state_field = "won_status"
    _crm_next_action_documents = True
    # A lead without partner goes to the customer of its e-mail address or phone number.
    _crm_customer_fields = frozenset(("partner_id", "email_from", "phone", "country_id"))
    _crm_card_figures = frozendict(
        pipeline=frozendict(
            crm_lead_count=0,
            crm_opportunity_count=0,
            crm_opportunity_amount=0.0,
            crm_opportunity_weighted_amount=0.0,
            crm_opportunity_stages=False,
            crm_opportunity_won_count=0,
            crm_opportunity_won_amount=0.0,
            crm_opportunity_lost_count=0,
            crm_opportunity_lost_reasons=False,
            crm_opportunity_next_activity=False,
        )
    )

    # public: the customer of a lead, read only by who reads the lead (Sales).
    crm_customer_id = fields.Many2one(
        "res.partner",
        string="Customer Card",
        compute="_compute_crm_customer_id",
        store=True,
        index="btree_not_null",
        help="The customer whose card shows this lead: the company of its contact, or of the contact with "
        "the same e-mail address or phone number.",
    )
    crm_call_ids = fields.One2many(
        "crm.relationship.call",
        "crm_lead_id",
        string="Calls",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_call_count = fields.Integer(
        string="Calls Count",
        compute="_compute_crm_call_count",
        groups="crm_relationship.crm_relationship_group_user",
    )

    @api.depends("partner_id.commercial_partner_id", "email_normalized", "phone_sanitized")
    def _compute_crm_customer_id(self):
        matches = self.filtered(lambda lead: not lead.partner_id)._crm_match_customers()
        for lead in self:
            lead.crm_customer_id = lead.partner_id.commercial_partner_id or matches.get(lead.id, False)

    def _crm_match_customers(self):
        """``{lead id: customer}`` of leads without partner: the commercial
        entity of the contact with the lead's e-mail address, else phone
        number (the oldest such contact), from one query for all the leads."""
        emails = {lead.email_normalized for lead in self if lead.email_normalized}
        phones = {lead.phone_sanitized for lead in self if lead.phone_sanitized}
        if not emails and not phones:
            return {}
        domain = Domain.FALSE
        if emails:
            domain |= Domain("email_normalized", "in", list(emails))
        if phones:
            domain |= Domain("phone_sanitized", "in", list(phones))
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=True)
            .search_fetch(
                domain & Domain("partner_share", "=", True),
                ["email_normalized", "phone_sanitized", "commercial_partner_id"],
                order="id",
            )
        )
        by_email, by_phone = {}, {}
        for partner in partners:
            if partner.email_normalized:
                by_email.setdefault(partner.email_normalized, partner.commercial_partner_id)
            if partner.phone_sanitized:
                by_phone.setdefault(partner.phone_sanitized, partner.commercial_partner_id)
        matches = {}
        for lead in self:
            customer = by_email.get(lead.email_normalized) or by_phone.get(lead.phone_sanitized)
            if customer:
                matches[lead.id] = customer
        return matches

    @api.model
    def _crm_rematch_customers(self, partners, emails=(), phones=()):
        """Match again the leads without partner that ``partners``' e-mail
        addresses or phone numbers (and their former ``emails`` and
        ``phones``) may now point to another customer, and move the
        activities planned on them to that customer's next action."""
        partners = partners.sudo()
        emails = {email for email in [*emails, *partners.mapped("email_normalized")] if email}
        phones = {phone for phone in [*phones, *partners.mapped("phone_sanitized")] if phone}
        if not emails and not phones:
            return
        domain = Domain.FALSE
        if emails:
            domain |= Domain("email_normalized", "in", list(emails))
        if phones:
            domain |= Domain("phone_sanitized", "in", list(phones))
        leads = self.sudo().with_context(active_test=False).search(Domain("partner_id", "=", False) & domain)
        planned = leads.filtered("activity_ids")
        customers_before = planned.crm_customer_id
        self.env.add_to_compute(self._fields["crm_customer_id"], leads)
        if planned:
            self.env["res.partner"]._crm_refresh_relationship_status(
                (customers_before | planned.crm_customer_id).ids, last_contact=False
            )

    def _compute_crm_call_count(self):
        counts = dict(
            self.env["crm.relationship.call"]._read_group(
                Domain("crm_lead_id", "in", self.ids), ["crm_lead_id"], ["__count"]
            )
        )
        for lead in self:
            lead.crm_call_count = counts.get(lead, 0)

    @api.readonly
    def action_view_crm_calls(self):
        """The calls about this opportunity: who reads the opportunity and the calls."""
        self.ensure_one()
        self.check_access("read")
        self.env["crm.relationship.call"].check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_call_action"
        )
        action["domain"] = [("crm_lead_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------------
    # Customer document: the pipeline on the card and the timeline
    # ------------------------------------------------------------------

    @api.model
    def _crm_get_customer_document_domain(self):
        """Leads and opportunities of a customer, open, won or lost (lost ones are archived)."""
        return Domain("crm_customer_id", "!=", False) & self._crm_get_pipeline_domain()

    @api.model
    def _crm_customer_document_sql(self, alias):
        return SQL(
            "%s IS NOT NULL AND %s", SQL.identifier(alias, "crm_customer_id"), self._crm_pipeline_sql(alias)
        )

    @api.model
    def _crm_get_pipeline_domain(self):
        """Leads and opportunities of the pipeline, open, won or lost (lost ones are
        archived), whether their customer is known or not."""
        return Domain("active", "=", True) | (
            Domain("active", "=", False) & Domain("won_status", "=", "lost")
        )

    @api.model
    def _crm_pipeline_sql(self, alias):
        """SQL twin of :meth:`_crm_get_pipeline_domain` on the table alias ``alias``."""
        return SQL(
            "(%s OR %s = 'lost')", SQL.identifier(alias, "active"), SQL.identifier(alias, "won_status")
        )

    @api.model
    def _crm_get_open_opportunity_domain(self):
        """Opportunities still in the pipeline."""
        return (
            Domain("type", "=", "opportunity")
            & Domain("active", "=", True)
            & Domain("won_status", "=", "pending")
        )

    @api.model
    def _crm_get_timeline_joins(self):
        return SQL("LEFT JOIN res_company lead_company ON lead_company.id = doc.company_id")

    @api.model
    def _crm_get_timeline_columns(self):
        return {
            "date": "COALESCE(doc.date_closed, doc.date_conversion, doc.create_date)",
            "entry_type": "CASE WHEN doc.type = 'lead' THEN 'lead' ELSE 'opportunity' END",
            "department": "'sales'",
            "partner_id": "COALESCE(doc.partner_id, doc.crm_customer_id)",
            "commercial_partner_id": "doc.crm_customer_id",
            "user_id": "doc.user_id",
            "amount": "doc.expected_revenue",
            "currency_id": "lead_company.currency_id",
            # An opportunity past its expected closing still in the pipeline.
            "is_alert": "doc.type = 'opportunity' AND doc.won_status = 'pending' AND doc.active "
            "AND doc.date_deadline < CURRENT_DATE",
        }

    @api.model
    def _crm_get_timeline_entry_types(self):
        lead_label = self.env._("Lead")
        opportunity_label = self.env._("Opportunity")
        return [("lead", lead_label), ("opportunity", opportunity_label)]

    @api.model
    def _crm_get_timeline_depends(self):
        return {
            "crm.lead": [
                "name",
                "type",
                "date_closed",
                "date_conversion",
                "partner_id",
                "crm_customer_id",
                "company_id",
                "user_id",
                "expected_revenue",
                "won_status",
                "active",
                "date_deadline",
            ],
        }

    @api.model
    def _crm_get_timeline_summaries(self, ids):
        """Stage and probability, or the reason it was lost."""
        result = {}
        for lead in self.with_context(active_test=False).browse(ids):
            parts = [lead.stage_id.name]
            if lead.won_status == "lost":
                parts.append(lead.lost_reason_id.name or self.env._("Lost"))
            elif lead.won_status == "pending":
                parts.append(f"{lead.probability:.0f}%")
            result[lead.id] = " · ".join(part for part in parts if part)
        return result

    @api.model
    def _crm_get_card_figures(self, customers, group):
        """Open leads and opportunities (count, expected and weighted revenue,
        stages), opportunities won and lost in the last 12 months (with the
        reasons), and the next activity planned on the open ones."""
        result = defaultdict(lambda: defaultdict(float))
        to_card_currency = customers._crm_to_card_currency
        Lead = self.with_context(active_test=False)
        documents = self._crm_get_documents_domain(customers)
        stages = defaultdict(lambda: defaultdict(int))
        for customer, company, lead_type, stage, count, amount, weighted in Lead._read_group(
            documents & Domain("active", "=", True) & Domain("won_status", "=", "pending"),
            ["crm_customer_id", "company_id", "type", "stage_id"],
            ["__count", "expected_revenue:sum", "prorated_revenue:sum"],
        ):
            values = result[customer.id]
            if lead_type == "lead":
                values["crm_lead_count"] += count
                continue
            currency = company.currency_id or self.env.company.currency_id
            values["crm_opportunity_count"] += count
            values["crm_opportunity_amount"] += to_card_currency(currency, amount)
            values["crm_opportunity_weighted_amount"] += to_card_currency(currency, weighted)
            stages[customer.id][stage] += count
        since = fields.Datetime.now() - relativedelta(months=12)
        reasons = defaultdict(lambda: defaultdict(int))
        for customer, company, status, reason, count, amount in Lead._read_group(
            documents & Domain("won_status", "in", ("won", "lost")) & Domain("date_closed", ">=", since),
            ["crm_customer_id", "company_id", "won_status", "lost_reason_id"],
            ["__count", "expected_revenue:sum"],
        ):
            values = result[customer.id]
            if status == "won":
                currency = company.currency_id or self.env.company.currency_id
                values["crm_opportunity_won_count"] += count
                values["crm_opportunity_won_amount"] += to_card_currency(currency, amount)
            else:
                values["crm_opportunity_lost_count"] += count
                reasons[customer.id][reason.name or self.env._("No reason given")] += count
        for customer_id, by_stage in stages.items():
            ranked = sorted(by_stage.items(), key=lambda item: (item[0].sequence, item[0].id))
            result[customer_id]["crm_opportunity_stages"] = " · ".join(
                f"{stage.name or self.env._('No stage')} {count}" for stage, count in ranked
            )
        for customer_id, by_reason in reasons.items():
            ranked = sorted(by_reason.items(), key=lambda item: (-item[1], item[0]))
            result[customer_id]["crm_opportunity_lost_reasons"] = " · ".join(
                f"{reason} {count}" for reason, count in ranked
            )
        for customer_id, activity in self._crm_get_next_opportunity_activities(customers).items():
            result[customer_id]["crm_opportunity_next_activity"] = self._crm_get_activity_text(activity)
        return result

    @api.model
    def _crm_get_activity_text(self, activity):
        """``"05/12/2026 · Call · Marco Bianchi: Send the offer (Boiler room renewal)"``."""
        what = activity.summary or activity.activity_type_id.name or ""
        parts = (
            format_date(self.env, activity.date_deadline),
            activity.activity_type_id.name if activity.summary else None,
            f"{activity.user_id.name}: {what}" if activity.user_id else what,
        )
        text = " · ".join(part for part in parts if part)
        return f"{text} ({activity.res_name})" if activity.res_name else text

    @api.model
    def _crm_get_documents_domain(self, customers):
        """A lead may belong to no company: it is then every company's."""
        return (
            self._crm_get_customer_document_domain()
            & Domain("crm_customer_id", "in", customers.ids)
            & Domain("company_id", "in", [*self.env.companies.ids, False])
        )

    @api.model
    def _crm_get_next_opportunity_activities(self, customers):
        """``{customer id: activity}``: the earliest activity planned on an open
        opportunity of each customer, in the companies active for the user."""
        self.env["mail.activity"].flush_model(["res_model", "res_id", "active", "date_deadline"])
        self.flush_model(["crm_customer_id", "company_id", "type", "active", "won_status"])
        rows = self.env.execute_query(
            SQL(
                """SELECT DISTINCT ON (l.crm_customer_id) l.crm_customer_id, a.id
                     FROM crm_lead l
                     JOIN mail_activity a ON a.res_model = 'crm.lead' AND a.res_id = l.id AND a.active
                    WHERE l.crm_customer_id = ANY(%(customers)s)
                      AND (l.company_id IS NULL OR l.company_id = ANY(%(companies)s))
                      AND l.type = 'opportunity' AND l.active AND l.won_status = 'pending'
                 ORDER BY l.crm_customer_id, a.date_deadline, a.id""",
                customers=customers.ids,
                companies=self.env.companies.ids,
            )
        )
        activities = self.env["mail.activity"].browse([activity_id for __, activity_id in rows])
        return dict(zip([customer_id for customer_id, __ in rows], activities, strict=True))
