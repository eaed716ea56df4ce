import contextlib
from collections import defaultdict
from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL

from odoo.addons.phone_validation.tools import phone_validation

TIMELINE_CARD_LIMIT = 10
SALE_FIGURES = {
    "crm_quotation_count": 0,
    "crm_quotation_amount": 0.0,
    "crm_quotation_expired_count": 0,
    "crm_order_count": 0,
    "crm_order_amount": 0.0,
    "crm_order_to_deliver_count": 0,
    "crm_order_to_invoice_count": 0,
    "crm_first_purchase_date": False,
    "crm_last_purchase_date": False,
}
INVOICE_FIGURES = {
    "crm_invoice_count": 0,
    "crm_refund_count": 0,
    "crm_invoiced_amount": 0.0,
    "crm_invoiced_this_year": 0.0,
    "crm_invoiced_last_year": 0.0,
}
DELIVERY_FIGURES = {
    "crm_delivery_count": 0,
    "crm_delivery_open_count": 0,
    "crm_return_count": 0,
    "crm_last_delivery_date": False,
}
# Stored status of a customer written with SQL, and the fields shown from it.
RELATIONSHIP_STATUS_FIELDS = [
    "crm_last_contact_date",
    "crm_next_activity_id",
    "crm_next_action_date",
    "crm_next_action_user_id",
    "crm_next_action_summary",
    "crm_has_next_action",
    "crm_next_action_overdue",
    "crm_alert_message",
]


class ResPartner(models.Model):
    _inherit = "res.partner"

    crm_currency_id = fields.Many2one(
        "res.currency",
        string="Card Currency",
        compute="_compute_crm_currency_id",
        groups="crm_relationship.crm_relationship_group_user",
    )
    # Offers and sale orders
    crm_quotation_count = fields.Integer(
        string="Offers",
        compute="_compute_crm_sale_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_quotation_amount = fields.Monetary(
        string="Offers Amount",
        currency_field="crm_currency_id",
        compute="_compute_crm_sale_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_quotation_expired_count = fields.Integer(
        string="Expired Offers",
        compute="_compute_crm_sale_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_order_count = fields.Integer(
        string="Sale Orders",
        compute="_compute_crm_sale_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_order_amount = fields.Monetary(
        string="Ordered Amount",
        currency_field="crm_currency_id",
        compute="_compute_crm_sale_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_order_to_deliver_count = fields.Integer(
        string="Orders to Deliver",
        compute="_compute_crm_sale_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_order_to_invoice_count = fields.Integer(
        string="Orders to Invoice",
        compute="_compute_crm_sale_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_first_purchase_date = fields.Date(
        string="First Purchase",
        compute="_compute_crm_sale_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_last_purchase_date = fields.Date(
        string="Last Purchase",
        compute="_compute_crm_sale_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    # Delivery notes
    crm_delivery_count = fields.Integer(
        string="Delivery Notes",
        compute="_compute_crm_delivery_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_delivery_open_count = fields.Integer(
        string="Deliveries in Progress",
        compute="_compute_crm_delivery_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_return_count = fields.Integer(
        string="Returns",
        compute="_compute_crm_delivery_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_last_delivery_date = fields.Datetime(
        string="Last Delivery",
        compute="_compute_crm_delivery_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    # Invoices, credit notes and payments
    crm_invoice_count = fields.Integer(
        string="Posted Invoices",
        compute="_compute_crm_invoice_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_refund_count = fields.Integer(
        string="Credit Notes",
        compute="_compute_crm_invoice_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_invoiced_amount = fields.Monetary(
        string="Invoiced (net of credit notes)",
        currency_field="crm_currency_id",
        compute="_compute_crm_invoice_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_invoiced_this_year = fields.Monetary(
        string="Invoiced This Year",
        currency_field="crm_currency_id",
        compute="_compute_crm_invoice_figures",
        help="Untaxed amount of the posted invoices minus credit notes dated this year.",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_invoiced_last_year = fields.Monetary(
        string="Invoiced Last Year",
        currency_field="crm_currency_id",
        compute="_compute_crm_invoice_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_amount_due = fields.Monetary(
        string="Open Balance",
        currency_field="crm_currency_id",
        compute="_compute_crm_balance",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_amount_overdue = fields.Monetary(
        string="Overdue Balance",
        currency_field="crm_currency_id",
        compute="_compute_crm_balance",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_last_payment_date = fields.Date(
        string="Last Payment",
        compute="_compute_crm_payment_figures",
        groups="crm_relationship.crm_relationship_group_user",
    )
    # Contacts and next action
    crm_last_contact_date = fields.Datetime(
        string="Last Contact",
        readonly=True,
        copy=False,
        index=True,
        help="Latest call or message with the customer or one of its contacts.",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_next_activity_id = fields.Many2one(
        "mail.activity",
        string="Next Activity",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="Earliest open activity on the customer, one of its contacts or one of its documents.",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_next_action_date = fields.Date(
        string="Next Action Due",
        compute="_compute_crm_next_action",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_next_action_user_id = fields.Many2one(
        "res.users",
        string="Next Action By",
        compute="_compute_crm_next_action",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_next_action_summary = fields.Char(
        string="Next Action",
        compute="_compute_crm_next_action",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_has_next_action = fields.Boolean(
        string="Has a Planned Next Action",
        compute="_compute_crm_next_action",
        search="_search_crm_has_next_action",
        help="An open activity is planned on the customer, one of its contacts or one of its documents.",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_next_action_overdue = fields.Boolean(
        string="Next Action Overdue",
        compute="_compute_crm_next_action",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_alert_message = fields.Text(
        string="Customer Alerts",
        compute="_compute_crm_alert_message",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_timeline_ids = fields.One2many(
        "crm.relationship.timeline",
        string="Latest Events",
        compute="_compute_crm_timeline_ids",
        groups="crm_relationship.crm_relationship_group_user",
    )

    # Calls
    crm_call_count = fields.Integer(
        string="Calls",
        compute="_compute_crm_call_stats",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_channel_share = fields.Char(
        string="Channels Used",
        compute="_compute_crm_call_stats",
        groups="crm_relationship.crm_relationship_group_user",
        help="Share of the contacts with the customer per channel over the last 12 months.",
    )
    crm_main_channel_id = fields.Many2one(
        "crm.relationship.call.channel",
        string="Most Used Channel",
        compute="_compute_crm_call_stats",
        groups="crm_relationship.crm_relationship_group_user",
        help="The channel of most contacts with the customer over the last 12 months.",
    )
    crm_preferred_channel_id = fields.Many2one(
        "crm.relationship.call.channel",
        string="Preferred Channel",
        copy=False,
        groups="crm_relationship.crm_relationship_group_user",
        help="How the customer prefers to be contacted.",
    )
    crm_call_ids = fields.One2many(
        "crm.relationship.call",
        "partner_id",
        string="Customer Calls",
        groups="crm_relationship.crm_relationship_group_user",
    )

    # Customer equipment
    crm_equipment_ids = fields.One2many(
        "crm.relationship.equipment",
        "partner_id",
        string="Customer Equipment",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_equipment_count = fields.Integer(
        string="Equipment",
        compute="_compute_crm_equipment_counts",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_equipment_warranty_count = fields.Integer(
        string="Equipment in Warranty",
        compute="_compute_crm_equipment_counts",
        groups="crm_relationship.crm_relationship_group_user",
        help="Units in service or under repair whose warranty has not ended.",
    )

    # RFM segmentation, stored by crm.relationship.rfm.segment._recompute_rfm()
    crm_rfm_recency = fields.Integer(
        string="Recency Score",
        readonly=True,
        copy=False,
        aggregator="avg",
        help="From 1 (the fifth of the customers who bought longest ago) to 5 (who bought most recently).",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_rfm_frequency = fields.Integer(
        string="Frequency Score",
        readonly=True,
        copy=False,
        aggregator="avg",
        help="From 1 (the fifth of the customers with the fewest invoices) to 5 (with the most).",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_rfm_monetary = fields.Integer(
        string="Monetary Score",
        readonly=True,
        copy=False,
        aggregator="avg",
        help="From 1 (the fifth of the customers invoiced the least, net of credit notes) to 5 (the most).",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_rfm_score = fields.Integer(
        string="RFM Score",
        readonly=True,
        copy=False,
        aggregator="avg",
        help="Recency + frequency + monetary scores, from 3 to 15.",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_segment_id = fields.Many2one(
        "crm.relationship.rfm.segment",
        string="Segment",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        groups="crm_relationship.crm_relationship_group_user",
    )

    # Profitability and customer events
    crm_margin_this_year = fields.Monetary(
        string="Margin This Year",
        currency_field="crm_currency_id",
        compute="_compute_crm_profitability",
        groups="crm_relationship.crm_relationship_group_manager",
        help="Untaxed invoiced amount net of credit notes minus the cost of the products, this year.",
    )
    crm_cost_to_serve_this_year = fields.Monetary(
        string="Cost to Serve This Year",
        currency_field="crm_currency_id",
        compute="_compute_crm_profitability",
        groups="crm_relationship.crm_relationship_group_manager",
        help="Call minutes at the hourly cost plus defects handled under warranty, this year.",
    )
    crm_payment_delay = fields.Float(
        string="Average Payment Delay (days)",
        digits=(16, 1),
        compute="_compute_crm_profitability",
        groups="crm_relationship.crm_relationship_group_manager",
        help="Days from the invoice date to the payment, over the paid invoices of the last 12 months.",
    )
    crm_event_log_ids = fields.One2many(
        "crm.relationship.event.log",
        "partner_id",
        string="Customer Events",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_event_count = fields.Integer(
        string="Events",
        compute="_compute_crm_event_count",
        groups="crm_relationship.crm_relationship_group_user",
    )

    # Defect reports
    crm_defect_count = fields.Integer(
        string="Defect Reports",
        compute="_compute_crm_defect_counts",
        help="Defect reports of the customer, in the companies active for the user.",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_defect_open_count = fields.Integer(
        string="Open Defect Reports",
        compute="_compute_crm_defect_counts",
        help="Defect reports of the customer not yet resolved, closed or rejected.",
        groups="crm_relationship.crm_relationship_group_user",
    )

    # The caller lookup's key: the phone in E.164 (+390289451120), stored by mail.thread.phone.
    _phone_sanitized_idx = models.Index("(phone_sanitized) WHERE phone_sanitized IS NOT NULL")

    @api.depends_context("company")
    def _compute_crm_currency_id(self):
        self.crm_currency_id = self.env.company.currency_id

    # Card figures: each compute method reads one kind of document for all the
    # partners at once, so a list or kanban view only pays for what it shows.

    @api.depends_context("company", "allowed_company_ids", "tz")
    def _compute_crm_sale_figures(self):
        self._crm_set_figures(self.commercial_partner_id._crm_get_sale_figures(), SALE_FIGURES)

    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_delivery_figures(self):
        self._crm_set_figures(self.commercial_partner_id._crm_get_picking_figures(), DELIVERY_FIGURES)

    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_invoice_figures(self):
        self._crm_set_figures(self.commercial_partner_id._crm_get_invoice_figures(), INVOICE_FIGURES)

    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_payment_figures(self):
        self._crm_set_figures(
            self.commercial_partner_id._crm_get_payment_figures(), {"crm_last_payment_date": False}
        )

    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_balance(self):
        self._crm_set_figures(
            self.commercial_partner_id._crm_get_balance_figures(),
            {"crm_amount_due": 0.0, "crm_amount_overdue": 0.0},
        )

    @api.depends(
        "crm_next_activity_id.date_deadline",
        "crm_next_activity_id.user_id",
        "crm_next_activity_id.summary",
        "crm_next_activity_id.activity_type_id",
    )
    @api.depends_context("allowed_company_ids")
    def _compute_crm_next_action(self):
        """Shown from the stored earliest activity, read with ``sudo()``: the
        summary is visible even when the activity sits on a document the user
        cannot open. An activity on a record of a company that is not active
        for the user counts as planned, without naming the record."""
        today = fields.Date.context_today(self)
        allowed = set(self.env.companies.ids)
        elsewhere = {
            activity_id
            for activity_id, (__, company_id) in self.crm_next_activity_id._crm_get_owners().items()
            if company_id and company_id not in allowed
        }
        for partner in self:
            activity = partner.crm_next_activity_id.sudo()
            if activity.id in elsewhere:
                partner.update(
                    {
                        "crm_next_action_date": activity.date_deadline,
                        "crm_next_action_user_id": False,
                        "crm_next_action_summary": self.env._("Planned in another company"),
                        "crm_has_next_action": True,
                        "crm_next_action_overdue": activity.date_deadline < today,
                    }
                )
                continue
            if not activity:
                partner.update(
                    {
                        "crm_next_action_date": False,
                        "crm_next_action_user_id": False,
                        "crm_next_action_summary": False,
                        "crm_has_next_action": False,
                        "crm_next_action_overdue": False,
                    }
                )
                continue
            record_name = activity.res_name or ""
            summary = activity.summary or activity.activity_type_id.name or ""
            partner.update(
                {
                    "crm_next_action_date": activity.date_deadline,
                    "crm_next_action_user_id": activity.user_id,
                    "crm_next_action_summary": f"{summary} ({record_name})" if record_name else summary,
                    "crm_has_next_action": True,
                    "crm_next_action_overdue": activity.date_deadline < today,
                }
            )

    def _search_crm_has_next_action(self, operator, value):
        if operator not in ("in", "not in"):
            return NotImplemented
        self._check_field_access(self._fields["crm_has_next_action"], "read")
        positive = (operator == "in") == (True in value)
        return Domain("crm_next_activity_id", "!=" if positive else "=", False)

    @api.depends("crm_amount_overdue", "crm_next_activity_id", "crm_defect_open_count")
    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_alert_message(self):
        alerts = self._crm_get_alerts()
        for partner in self:
            partner.crm_alert_message = "\n".join(alerts.get(partner.id, [])) or False

    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_timeline_ids(self):
        Timeline = self.env["crm.relationship.timeline"]
        commercial_ids = self.commercial_partner_id.ids
        rows = self.env.execute_query(
            SQL(
                """SELECT p.id, t.id
                     FROM unnest(%(partners)s) AS p(id)
               CROSS JOIN LATERAL (
                       SELECT tl.id FROM %(timeline)s tl
                        WHERE tl.commercial_partner_id = p.id
                          AND (tl.company_id IS NULL OR tl.company_id = ANY(%(companies)s))
                     ORDER BY tl.date DESC NULLS LAST, tl.id DESC
                        LIMIT %(limit)s) AS t""",
                partners=commercial_ids or [0],
                companies=self.env.companies.ids,
                limit=TIMELINE_CARD_LIMIT,
                timeline=Timeline._table_sql,
            )
        )
        entries = defaultdict(list)
        for partner_id, entry_id in rows:
            entries[partner_id].append(entry_id)
        for partner in self:
            partner.crm_timeline_ids = Timeline.browse(entries[partner.commercial_partner_id.id])

    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_call_stats(self):
        commercial = self.commercial_partner_id
        stats = commercial._crm_get_call_stats() if commercial else {}
        Channel = self.env["crm.relationship.call.channel"]
        for partner in self:
            values = stats.get(partner.commercial_partner_id.id, {})
            shares = values.get("shares", {})
            partner.crm_call_count = values.get("count", 0)
            partner.crm_main_channel_id = Channel.browse(max(shares, key=shares.get)) if shares else Channel
            partner.crm_channel_share = (
                " · ".join(
                    f"{Channel.browse(channel_id).name} {round(share * 100)}%"
                    for channel_id, share in sorted(shares.items(), key=lambda item: -item[1])
                )
                or False
            )

    def _crm_get_call_stats(self):
        """Return ``{commercial partner id: {"count": calls, "shares": {channel id: share}}}``.

        One grouped query for all customers in ``self`` (commercial partners);
        shares are computed over the calls of this month and the 11 before.
        """
        since = fields.Date.context_today(self).replace(day=1) - relativedelta(months=11)
        stats = defaultdict(lambda: {"count": 0, "recent": defaultdict(int)})
        for partner, channel, recent, count in self.env["crm.relationship.call"]._read_group(
            Domain("partner_id", "in", self.ids),
            ["partner_id", "channel_id", "date_start:month"],
            ["__count"],
        ):
            values = stats[partner.id]
            values["count"] += count
            if recent and fields.Date.to_date(recent) >= since:
                values["recent"][channel.id] += count
        result = {}
        for partner_id, values in stats.items():
            total = sum(values["recent"].values())
            shares = {channel_id: count / total for channel_id, count in values["recent"].items()}
            result[partner_id] = {"count": values["count"], "shares": shares}
        return result

    def _compute_crm_equipment_counts(self):
        Equipment = self.env["crm.relationship.equipment"]
        domain = Domain("partner_id", "in", self.commercial_partner_id.ids) & Domain(
            "state", "not in", ["returned", "retired"]
        )
        counts = dict(Equipment._read_group(domain, ["partner_id"], ["__count"]))
        in_warranty = dict(
            Equipment._read_group(
                domain & Domain("warranty_end_date", ">=", fields.Date.context_today(self)),
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            customer = partner.commercial_partner_id
            partner.crm_equipment_count = counts.get(customer, 0)
            partner.crm_equipment_warranty_count = in_warranty.get(customer, 0)

    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_profitability(self):
        figures = self.commercial_partner_id._crm_get_profitability_figures()
        for partner in self:
            values = figures.get(partner.commercial_partner_id.id, {})
            partner.crm_margin_this_year = values.get("margin", 0.0)
            partner.crm_cost_to_serve_this_year = values.get("cost_to_serve", 0.0)
            partner.crm_payment_delay = values.get("payment_delay", 0.0)

    def _crm_get_profitability_figures(self):
        """Return ``{commercial partner id: {"margin", "cost_to_serve", "payment_delay"}}``
        from the profitability analysis, so the card and the analysis always agree."""
        if not self:
            return {}
        Report = self.env["crm.relationship.profitability.report"].sudo()
        today = fields.Date.context_today(self)
        base = Domain("partner_id", "in", self.ids) & Domain("company_id", "in", self.env.companies.ids)
        figures = defaultdict(dict)
        for partner, margin, cost_to_serve in Report._read_group(
            base & Domain("date", ">=", date(today.year, 1, 1)),
            ["partner_id"],
            ["margin:sum", "cost_to_serve:sum"],
        ):
            figures[partner.id].update(margin=margin, cost_to_serve=cost_to_serve)
        for partner, delay in Report._read_group(
            base & Domain("date", ">=", today - relativedelta(months=12)),
            ["partner_id"],
            ["payment_delay:avg"],
        ):
            figures[partner.id]["payment_delay"] = delay or 0.0
        return figures

    def _compute_crm_event_count(self):
        counts = dict(
            self.env["crm.relationship.event.log"]._read_group(
                Domain("partner_id", "in", self.commercial_partner_id.ids), ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.crm_event_count = counts.get(partner.commercial_partner_id, 0)

    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_defect_counts(self):
        """Counted with ``sudo()``: the card and the quotation banner show them
        to users who cannot open the reports."""
        Defect = self.env["crm.relationship.defect"].sudo()
        open_states = Defect._get_open_states()
        counts = defaultdict(lambda: [0, 0])
        for customer, state, count in Defect._read_group(
            Domain("partner_id", "in", self.commercial_partner_id.ids)
            & Domain("company_id", "in", self.env.companies.ids),
            ["partner_id", "state"],
            ["__count"],
        ):
            counts[customer.id][0] += count
            if state in open_states:
                counts[customer.id][1] += count
        for partner in self:
            total, open_count = counts.get(partner.commercial_partner_id.id, (0, 0))
            partner.crm_defect_count = total
            partner.crm_defect_open_count = open_count

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        partners._crm_copy_relationship_status()
        return partners

    def write(self, vals):
        if not {"parent_id", "is_company"} & vals.keys():
            return super().write(vals)
        customers_before = set(self.commercial_partner_id.ids)
        result = super().write(vals)
        self._crm_refresh_relationship_status(customers_before | set(self.commercial_partner_id.ids))
        return result

    # ------------------------------------------------------------------
    # Card figures: one grouped query per document type for all partners
    # ------------------------------------------------------------------

    def _crm_set_figures(self, figures, defaults):
        """Assign ``figures`` (``{commercial partner id: {field: value}}``, as
        returned by the ``_crm_get_*_figures`` methods) to the partners, and
        ``defaults`` to the fields a customer has no figure for.

        To add a figure to the card: a computed field whose compute method
        calls this with a ``_crm_get_..._figures`` method of your own, reading
        all the customers in one grouped query. The figures are read-only
        summaries of documents the user may not be allowed to open (a
        call-center operator without Sales or Invoicing rights still sees
        them): read them with ``sudo()``, restricted to the companies active
        for the user."""
        for partner in self:
            partner.update(dict(defaults, **figures.get(partner.commercial_partner_id.id, {})))

    def _crm_document_domain(self, partner_field="partner_id"):
        """Domain of the documents of the customers in ``self`` (commercial partners)."""
        return Domain(f"{partner_field}.commercial_partner_id", "in", self.ids) & Domain(
            "company_id", "in", self.env.companies.ids
        )

    def _crm_to_card_currency(self, currency, amount):
        company = self.env.company
        if not amount or currency == company.currency_id:
            return amount
        return currency._convert(amount, company.currency_id, company, fields.Date.context_today(self))

    def _crm_get_sale_figures(self):
        """Offers and orders (counts, amounts, to deliver, to invoice) and the days
        of the first and last confirmed order, in the user's time zone."""
        SaleOrder = self.env["sale.order"].sudo()
        result = defaultdict(lambda: defaultdict(float))
        today = fields.Date.context_today(self)
        for (
            partner,
            currency,
            state,
            invoice_status,
            delivery_status,
            count,
            amount,
            first,
            last,
            validity_days,
        ) in SaleOrder._read_group(
            self._crm_document_domain() & Domain("state", "in", ("draft", "sent", "sale")),
            ["partner_id", "currency_id", "state", "invoice_status", "delivery_status"],
            ["__count", "amount_total:sum", "date_order:min", "date_order:max", "validity_date:array_agg"],
        ):
            values = result[partner.commercial_partner_id.id]
            prefix = "crm_order" if state == "sale" else "crm_quotation"
            values[f"{prefix}_count"] += count
            values[f"{prefix}_amount"] += self._crm_to_card_currency(currency, amount)
            if state != "sale":
                expired = sum(1 for day in validity_days if day and day < today)
                values["crm_quotation_expired_count"] += expired
                continue
            if invoice_status == "to invoice":
                values["crm_order_to_invoice_count"] += count
            if delivery_status in ("pending", "started", "partial"):
                values["crm_order_to_deliver_count"] += count
            # Order dates are UTC: the purchase day is the one of the user's time zone.
            first = fields.Datetime.context_timestamp(self, first).date()
            last = fields.Datetime.context_timestamp(self, last).date()
            values["crm_first_purchase_date"] = min(first, values.get("crm_first_purchase_date") or first)
            values["crm_last_purchase_date"] = max(last, values.get("crm_last_purchase_date") or last)
        return result

    def _crm_get_picking_figures(self):
        Picking = self.env["stock.picking"].sudo()
        result = defaultdict(lambda: defaultdict(int))
        base = self._crm_document_domain() & Domain("state", "!=", "cancel")
        for partner, code, state, count, last_done in Picking._read_group(
            base
            & (
                Domain("picking_type_code", "=", "outgoing")
                | (Domain("picking_type_code", "=", "incoming") & Domain("return_id", "!=", False))
            ),
            ["partner_id", "picking_type_code", "state"],
            ["__count", "date_done:max"],
        ):
            values = result[partner.commercial_partner_id.id]
            if code == "incoming":
                values["crm_return_count"] += count
                continue
            values["crm_delivery_count"] += count
            if state != "done":
                values["crm_delivery_open_count"] += count
            elif last_done and (
                not values.get("crm_last_delivery_date") or last_done > values["crm_last_delivery_date"]
            ):
                values["crm_last_delivery_date"] = last_done
        return result

    def _crm_get_invoice_figures(self):
        """Posted invoices and credit notes: counts, total net of credit notes, and the
        untaxed amounts (net of credit notes) of this year and last year."""
        result = defaultdict(lambda: defaultdict(float))
        today = fields.Date.context_today(self)
        this_year, last_year = date(today.year, 1, 1), date(today.year - 1, 1, 1)
        for partner, move_type, year, count, total, untaxed in (
            self.env["account.move"]
            .sudo()
            ._read_group(
                self._crm_posted_invoice_domain(),
                ["commercial_partner_id", "move_type", "invoice_date:year"],
                ["__count", "amount_total_signed:sum", "amount_untaxed_signed:sum"],
            )
        ):
            values = result[partner.id]
            values["crm_invoice_count" if move_type == "out_invoice" else "crm_refund_count"] += count
            values["crm_invoiced_amount"] += total
            if year and year >= this_year:
                values["crm_invoiced_this_year"] += untaxed
            elif year and year >= last_year:
                values["crm_invoiced_last_year"] += untaxed
        return result

    def _crm_posted_invoice_domain(self):
        """Posted customer invoices and credit notes of the customers in ``self``
        (commercial partners), in the companies active for the user."""
        return (
            Domain("commercial_partner_id", "in", self.ids)
            & Domain("company_id", "in", self.env.companies.ids)
            & Domain("move_type", "in", ("out_invoice", "out_refund"))
            & Domain("state", "=", "posted")
        )

    def _crm_get_balance_figures(self):
        """Return ``{commercial partner id: {"crm_amount_due", "crm_amount_overdue"}}``:
        what the customer still owes, and the part of it past its due date."""
        Move = self.env["account.move"].sudo()
        today = fields.Date.context_today(self)
        base = self._crm_posted_invoice_domain() & Domain("payment_state", "in", ("not_paid", "partial"))
        result = defaultdict(lambda: defaultdict(float))
        for partner, due_date, residual in Move._read_group(
            base,
            ["commercial_partner_id", "invoice_date_due:day"],
            ["amount_residual_signed:sum"],
        ):
            values = result[partner.id]
            values["crm_amount_due"] += residual
            if due_date and fields.Date.to_date(due_date) < today:
                values["crm_amount_overdue"] += residual
        return result

    def _crm_get_payment_figures(self):
        Payment = self.env["account.payment"].sudo()
        result = defaultdict(dict)
        for partner, last in Payment._read_group(
            self._crm_document_domain()
            & Domain("partner_type", "=", "customer")
            & Domain("payment_type", "=", "inbound")
            & Domain("state", "in", ("in_process", "paid")),
            ["partner_id"],
            ["date:max"],
        ):
            values = result[partner.commercial_partner_id.id]
            if not values.get("crm_last_payment_date") or last > values["crm_last_payment_date"]:
                values["crm_last_payment_date"] = last
        return result

    @api.model
    def _crm_contact_entry_types(self):
        """Timeline entry types that count as a contact with the customer."""
        return ["call", "message"]

    # ------------------------------------------------------------------
    # Stored relationship status: last contact and next planned action
    # ------------------------------------------------------------------
    # Both are kept on every partner of a commercial entity and maintained
    # when activities, calls, messages, contacts or documents change (see
    # mail.activity, mail.message, crm.relationship.call and the documents'
    # write), so that the card, lists, filters and quotation banner read a
    # column instead of scanning activities and the timeline. They are
    # written with SQL: a cache of facts kept elsewhere, not an edit of the
    # partner (no write date, tracking or access check on the partner).

    @api.model
    def _crm_next_activity_models(self):
        """Models whose activities count as a next action planned with their customer."""
        return ["res.partner", "sale.order", "stock.picking", "account.move", "account.payment"]

    @api.model
    def _crm_next_activity_query(self, customer_ids=None):
        """SQL returning ``(customer id, activity id)`` of the earliest open
        activity of each customer (commercial partner), on the customer, its
        contacts or its documents (any document shown on its timeline), for
        the customers ``customer_ids`` or all of them."""
        timeline = self.env["crm.relationship.timeline"]._table_sql
        parts = [
            SQL(
                """SELECT p.commercial_partner_id AS customer_id, a.id AS activity_id, a.date_deadline
                     FROM mail_activity a
                     JOIN res_partner p ON p.id = a.res_id
                    WHERE a.res_model = 'res.partner' AND a.active AND %s""",
                SQL("p.commercial_partner_id = ANY(%s)", list(customer_ids))
                if customer_ids is not None
                else SQL("TRUE"),
            )
        ]
        for res_model in self._crm_next_activity_models():
            if res_model == "res.partner":
                continue
            parts.append(
                SQL(
                    """SELECT t.commercial_partner_id, a.id, a.date_deadline
                         FROM mail_activity a
                         JOIN %(timeline)s t ON t.res_model = %(model)s AND t.res_id = a.res_id
                        WHERE a.res_model = %(model)s AND a.active AND %(filter)s""",
                    timeline=timeline,
                    model=res_model,
                    filter=SQL("t.commercial_partner_id = ANY(%s)", list(customer_ids))
                    if customer_ids is not None
                    else SQL("t.commercial_partner_id IS NOT NULL"),
                )
            )
        return SQL(
            """SELECT DISTINCT ON (d.customer_id) d.customer_id, d.activity_id
                 FROM (%s) AS d
             ORDER BY d.customer_id, d.date_deadline, d.activity_id""",
            SQL(" UNION ALL ").join(parts),
        )

    @api.model
    def _crm_last_contact_query(self, customer_ids=None):
        """SQL returning ``(customer id, date)`` of the latest contact entry
        (see :meth:`_crm_contact_entry_types`) of each customer."""
        return SQL(
            """SELECT t.commercial_partner_id, MAX(t.date)
                 FROM %s t
                WHERE t.entry_type = ANY(%s) AND %s
             GROUP BY t.commercial_partner_id""",
            self.env["crm.relationship.timeline"]._table_sql,
            self._crm_contact_entry_types(),
            SQL("t.commercial_partner_id = ANY(%s)", list(customer_ids))
            if customer_ids is not None
            else SQL("t.commercial_partner_id IS NOT NULL"),
        )

    @api.model
    def _crm_flush_relationship_sources(self):
        """Flush what the timeline and the activities read, before raw SQL reads them."""
        for model_name, field_names in self.env["crm.relationship.timeline"]._depends.items():
            if model_name in self.env:
                self.env[model_name].flush_model(field_names)
        self.env["mail.activity"].flush_model()

    @api.model
    def _crm_store_status(self, column, query, customer_ids=None):
        """Write ``column`` on every partner of the customers from ``query``'s
        ``(customer id, value)`` rows; customers without a row get NULL."""
        customers = (
            SQL("(SELECT unnest(%s::int[]) AS id)", list(customer_ids))
            if customer_ids is not None
            else SQL("(SELECT id FROM res_partner WHERE id = commercial_partner_id)")
        )
        self.env.execute_query(
            SQL(
                """UPDATE res_partner p
                      SET %(column)s = v.value
                     FROM (SELECT c.id, s.value
                             FROM %(customers)s AS c
                        LEFT JOIN (%(query)s) AS s(customer_id, value) ON s.customer_id = c.id) AS v
                    WHERE p.commercial_partner_id = v.id
                      AND p.%(column)s IS DISTINCT FROM v.value""",
                column=SQL.identifier(column),
                customers=customers,
                query=query,
            )
        )

    @api.model
    def _crm_refresh_relationship_status(self, customer_ids=None, next_activity=True, last_contact=True):
        """Recompute the next activity and/or the last contact of the customers
        ``customer_ids`` (commercial partner ids), or of every customer."""
        if customer_ids is not None:
            customer_ids = sorted({cid for cid in customer_ids if cid})
            if not customer_ids:
                return
        self._crm_flush_relationship_sources()
        self.flush_model(["commercial_partner_id"])
        if next_activity:
            self._crm_store_status(
                "crm_next_activity_id", self._crm_next_activity_query(customer_ids), customer_ids
            )
        if last_contact:
            self._crm_store_status(
                "crm_last_contact_date", self._crm_last_contact_query(customer_ids), customer_ids
            )
        self.invalidate_model(RELATIONSHIP_STATUS_FIELDS)

    def _crm_copy_relationship_status(self):
        """Give new partners the status of their customer (commercial partner)."""
        self.flush_model(["commercial_partner_id"])
        self.env.execute_query(
            SQL(
                """UPDATE res_partner p
                      SET crm_next_activity_id = c.crm_next_activity_id,
                          crm_last_contact_date = c.crm_last_contact_date
                     FROM res_partner c
                    WHERE p.id = ANY(%s) AND c.id = p.commercial_partner_id AND c.id != p.id""",
                self.ids,
            )
        )
        self.invalidate_recordset(RELATIONSHIP_STATUS_FIELDS)

    @api.model
    def _crm_touch_last_contact(self, res_model, res_ids):
        """Move the last contact forward for new contact entries ``res_model``/``res_ids``
        (timeline document keys), reading only those entries."""
        if not res_ids:
            return
        self._crm_flush_relationship_sources()
        self.env.execute_query(
            SQL(
                """UPDATE res_partner p
                      SET crm_last_contact_date = n.date
                     FROM (SELECT t.commercial_partner_id AS customer_id, MAX(t.date) AS date
                             FROM %(timeline)s t
                            WHERE t.res_model = %(model)s AND t.res_id = ANY(%(ids)s)
                              AND t.entry_type = ANY(%(types)s)
                         GROUP BY t.commercial_partner_id) AS n
                    WHERE p.commercial_partner_id = n.customer_id
                      AND (p.crm_last_contact_date IS NULL OR p.crm_last_contact_date < n.date)""",
                timeline=self.env["crm.relationship.timeline"]._table_sql,
                model=res_model,
                ids=list(res_ids),
                types=self._crm_contact_entry_types(),
            )
        )
        self.invalidate_model(["crm_last_contact_date"])

    @api.model
    def _crm_get_record_owners(self, res_model, res_ids):
        """``{record id: (customer id, company id)}`` of records ``res_model``/``res_ids``:
        partners, or documents shown on the timeline (customer and company of
        their timeline entry; either may be empty)."""
        res_ids = [res_id for res_id in res_ids if res_id]
        if not res_ids:
            return {}
        if res_model == "res.partner":
            self.flush_model(["commercial_partner_id", "company_id"])
            query = SQL(
                "SELECT id, commercial_partner_id, company_id FROM res_partner WHERE id = ANY(%s)", res_ids
            )
        else:
            self._crm_flush_relationship_sources()
            query = SQL(
                """SELECT t.res_id, t.commercial_partner_id, t.company_id FROM %s t
                    WHERE t.res_model = %s AND t.res_id = ANY(%s)""",
                self.env["crm.relationship.timeline"]._table_sql,
                res_model,
                res_ids,
            )
        return {
            res_id: (customer_id, company_id)
            for res_id, customer_id, company_id in self.env.execute_query(query)
        }

    @api.model
    def _crm_get_customers_of(self, res_model, res_ids):
        """Ids of the customers (commercial partners) of records ``res_model``/``res_ids``."""
        owners = self._crm_get_record_owners(res_model, res_ids).values()
        return {customer_id for customer_id, __ in owners if customer_id}

    @api.model
    def _crm_offer_next_activities(self, pairs):
        """Make each activity of ``pairs`` (``(customer id, activity id)``) the
        next action of its customer when it is due before the current one: a
        new or rescheduled activity never needs the customer's other activities."""
        if not pairs:
            return
        self.env["mail.activity"].flush_model(["date_deadline", "active"])
        self.flush_model(["commercial_partner_id", "crm_next_activity_id"])
        customer_ids = [customer_id for customer_id, __ in pairs]
        activity_ids = [activity_id for __, activity_id in pairs]
        self.env.execute_query(
            SQL(
                """UPDATE res_partner p
                      SET crm_next_activity_id = best.activity_id
                     FROM (SELECT DISTINCT ON (v.customer_id)
                                  v.customer_id, a.id AS activity_id, a.date_deadline
                             FROM unnest(%s::int[], %s::int[]) AS v(customer_id, activity_id)
                             JOIN mail_activity a ON a.id = v.activity_id AND a.active
                         ORDER BY v.customer_id, a.date_deadline, a.id) AS best
                     JOIN res_partner customer ON customer.id = best.customer_id
                LEFT JOIN mail_activity cur ON cur.id = customer.crm_next_activity_id
                    WHERE p.commercial_partner_id = best.customer_id
                      AND (cur.id IS NULL
                           OR (best.date_deadline, best.activity_id) < (cur.date_deadline, cur.id))""",
                customer_ids,
                activity_ids,
            )
        )
        self.invalidate_model(RELATIONSHIP_STATUS_FIELDS)

    @api.model
    def _crm_get_customers_planning(self, activity_ids):
        """Ids of the customers whose next action is one of ``activity_ids``."""
        if not activity_ids:
            return set()
        self.flush_model(["commercial_partner_id", "crm_next_activity_id"])
        rows = self.env.execute_query(
            SQL(
                "SELECT DISTINCT commercial_partner_id FROM res_partner WHERE crm_next_activity_id = ANY(%s)",
                list(activity_ids),
            )
        )
        return {row[0] for row in rows}

    # ------------------------------------------------------------------
    # Alerts shown on the card and on quotations / sale orders
    # ------------------------------------------------------------------

    def _crm_get_alerts(self):
        """Return ``{partner id: [alert sentences]}``. Override to add alerts."""
        alerts = defaultdict(list)
        for partner in self:
            if partner.crm_amount_overdue > 0:
                alerts[partner.id].append(
                    self.env._(
                        "Overdue invoices: %(amount)s to collect.",
                        amount=partner.crm_currency_id.format(partner.crm_amount_overdue),
                    )
                )
            if not partner.crm_next_activity_id:
                alerts[partner.id].append(self.env._("No next action is planned with this customer."))
            if partner.crm_defect_open_count:
                alerts[partner.id].append(
                    self.env._("%s open defect reports.", partner.crm_defect_open_count)
                    if partner.crm_defect_open_count > 1
                    else self.env._("1 open defect report.")
                )
        return alerts

    # ------------------------------------------------------------------
    # Caller lookup
    # ------------------------------------------------------------------

    @api.model
    def _crm_phone_keys(self, number):
        """The ``phone_sanitized`` values ``number``, typed in any format, may stand for.

        The number is read as ``mail.thread.phone`` reads the contacts' numbers
        (phonenumbers, E.164): an international one (``+41``, ``0041``) has one
        key; a national one is read in the country of each company the user
        works in, so ``091 922 11 23`` is a number in Lugano and in Palermo for
        a user of a Swiss and an Italian company. Garbage has none. The
        countries come from one query, skipped for a number starting with ``+``:
        the lookup runs on a cold cache, where the ORM would read every column
        of the companies and their partners; its nested ``ARRAY()`` reads by
        primary key are planned at a fraction of the cost of a join on
        ``res_partner``.
        """
        countries = []
        if not number.lstrip().startswith("+"):
            countries = self.env.execute_query(
                SQL(
                    """SELECT code, phone_code FROM res_country WHERE id = ANY(ARRAY(
                           SELECT country_id FROM res_partner WHERE id = ANY(ARRAY(
                               SELECT partner_id FROM res_company WHERE id = ANY(%s)))))""",
                    self.env.companies.ids,
                )
            )
        keys = set()
        for code, phone_code in countries or [(None, None)]:
            with contextlib.suppress(UserError):
                keys.add(phone_validation.phone_format(number, code, phone_code, force_format="E164"))
        return keys

    @api.model
    @tools.ormcache("self.env.uid", "self.env.su", "tuple(self.env.companies.ids)")
    def _crm_active_readable_sql(self):
        """``FROM`` and ``WHERE`` clauses of the active partners the user may read
        (the query of ``search([])``), kept in the registry cache under the keys of
        the record rules they come from and cleared with them."""
        query = self.with_context(active_test=True)._search([])
        return query.from_clause, query.where_clause

    @api.model
    def _crm_search_by_phone(self, number):
        """Active contacts the user may read whose phone is ``number``, in any format.

        The caller lookup runs on every incoming call: the keys of
        :meth:`_crm_phone_keys` matched on the indexed ``phone_sanitized``
        within the clauses of :meth:`_crm_active_readable_sql` cost a fraction
        of a generic ``search()``.
        """
        keys = self._crm_phone_keys(number) if number else set()
        if not keys:
            return self.browse()
        from_clause, where_clause = self._crm_active_readable_sql()
        partner_id = SQL.identifier(self._table, "id")
        phone = self._field_to_sql(self._table, "phone_sanitized")
        rows = self.env.execute_query(
            SQL(
                "SELECT %s FROM %s WHERE %s AND %s IN %s ORDER BY %s",
                partner_id,
                from_clause,
                where_clause,
                phone,
                tuple(keys),
                partner_id,
            )
        )
        return self.browse([row[0] for row in rows])

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _crm_check_access(self, model="crm.relationship.timeline", operation="read"):
        """Raise an ``AccessError`` unless the user may read these partners and do
        ``operation`` on ``model``: the card's buttons are for Customer Relationship users."""
        self.env[model].check_access(operation)
        self.check_access("read")

    def action_open_crm_card(self):
        """Open the customer card of the commercial entity."""
        self.ensure_one()
        self._crm_check_access()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customer Card"),
            "res_model": "res.partner",
            "res_id": self.commercial_partner_id.id,
            "view_mode": "form",
            "views": [(self.env.ref("crm_relationship.res_partner_view_form_customer_card").id, "form")],
            "target": "current",
        }

    def _crm_action_documents(self, xmlid, domain, context=None):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = domain
        action["context"] = dict(context or {}, create=False)
        return action

    def action_view_crm_quotations(self):
        self._crm_check_access()
        return self._crm_action_documents(
            "sale.action_quotations",
            [("partner_id", "child_of", self.commercial_partner_id.id), ("state", "in", ("draft", "sent"))],
        )

    def action_view_crm_orders(self):
        self._crm_check_access()
        return self._crm_action_documents(
            "sale.action_orders",
            [("partner_id", "child_of", self.commercial_partner_id.id), ("state", "=", "sale")],
        )

    def action_view_crm_deliveries(self):
        self._crm_check_access()
        return self._crm_action_documents(
            "stock.action_picking_tree_all",
            [
                ("partner_id", "child_of", self.commercial_partner_id.id),
                "|",
                ("picking_type_code", "=", "outgoing"),
                "&",
                ("picking_type_code", "=", "incoming"),
                ("return_id", "!=", False),
            ],
        )

    def action_view_crm_invoices(self):
        self._crm_check_access()
        return self._crm_action_documents(
            "account.action_move_out_invoice_type",
            [
                ("commercial_partner_id", "=", self.commercial_partner_id.id),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("state", "=", "posted"),
            ],
        )

    def action_view_crm_timeline(self):
        self.ensure_one()
        self._crm_check_access()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_timeline_action"
        )
        action["domain"] = [("commercial_partner_id", "=", self.commercial_partner_id.id)]
        # The whole history of one customer, not only the recent one of all customers.
        action["context"] = {}
        action["display_name"] = self.env._("Timeline of %s", self.commercial_partner_id.display_name)
        return action

    def action_view_crm_calls(self):
        self.ensure_one()
        self._crm_check_access("crm.relationship.call", "read")
        customer = self.commercial_partner_id
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_call_action"
        )
        action["domain"] = [("partner_id", "=", customer.id)]
        action["context"] = {
            "default_partner_id": customer.id,
            "default_contact_id": self.id if self != customer else False,
        }
        return action

    def action_crm_log_call(self):
        self.ensure_one()
        self._crm_check_access("crm.relationship.call", "create")
        Call = self.env["crm.relationship.call"]
        return Call._get_log_call_action(Call._prepare_partner_call_values(self))

    def action_view_crm_equipment(self):
        self.ensure_one()
        self._crm_check_access("crm.relationship.equipment", "read")
        customer = self.commercial_partner_id
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_equipment_action"
        )
        action["domain"] = [("partner_id", "=", customer.id)]
        action["context"] = {
            "default_partner_id": customer.id,
            "default_site_id": self.id,
            "search_default_in_service": 1,
        }
        return action

    def action_view_crm_event_logs(self):
        self.ensure_one()
        self._crm_check_access("crm.relationship.event.log", "read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_event_log_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"create": False}
        return action

    def action_view_crm_profitability(self):
        self.ensure_one()
        self._crm_check_access("crm.relationship.profitability.report", "read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_profitability_report_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"pivot_row_groupby": ["date:year"], "pivot_column_groupby": ["source"]}
        action["display_name"] = self.env._("Profitability of %s", self.commercial_partner_id.display_name)
        return action

    def action_view_crm_defects(self):
        self.ensure_one()
        self._crm_check_access("crm.relationship.defect", "read")
        customer = self.commercial_partner_id
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_defect_action"
        )
        action["domain"] = [("partner_id", "=", customer.id)]
        action["context"] = {
            "default_partner_id": customer.id,
            "default_contact_id": self.id if self != customer else False,
        }
        return action

    def action_crm_report_defect(self):
        self.ensure_one()
        self._crm_check_access("crm.relationship.defect", "create")
        Defect = self.env["crm.relationship.defect"]
        customer = self.commercial_partner_id
        return Defect._get_report_defect_action(
            {
                "partner_id": customer.id,
                "contact_id": self.id if self != customer else False,
            }
        )
