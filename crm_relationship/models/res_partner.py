import contextlib
from collections import defaultdict
from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL

from odoo.addons.phone_validation.tools import phone_validation

TIMELINE_CARD_LIMIT = 10


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = (
        "res.partner",
        "crm.relationship.customer.status",
        "crm.relationship.call.source.mixin",
        "crm.relationship.indexed.lookup.mixin",
    )

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

    crm_segment_move_ids = fields.One2many(
        "crm.relationship.segment.move",
        "partner_id",
        string="Segment History",
        groups="crm_relationship.crm_relationship_group_user",
    )

    # Predicted value, stored by crm.relationship.value.model._cron_predict()
    crm_value_model_id = fields.Many2one(
        "crm.relationship.value.model",
        string="Prediction Model",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_probability_alive = fields.Float(
        string="Probability Still Active",
        readonly=True,
        copy=False,
        aggregator="avg",
        help="How likely the customer is still buying from you, from the rhythm of its past purchases "
        "and the time since the last one (BG/NBD model). A customer who bought only once counts as active.",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_predicted_purchases_90d = fields.Float(
        string="Expected Purchases (90 Days)",
        digits=(16, 2),
        readonly=True,
        copy=False,
        help="How many purchases (days with an invoice) to expect from the customer in the next 90 days.",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_predicted_purchases_12m = fields.Float(
        string="Expected Purchases (12 Months)",
        digits=(16, 2),
        readonly=True,
        copy=False,
        help="How many purchases (days with an invoice) to expect from the customer in the next 12 months.",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_predicted_revenue_12m = fields.Monetary(
        string="Predicted Revenue (12 Months)",
        currency_field="crm_predicted_currency_id",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The expected purchases of the next 12 months times the customer's expected spend per purchase "
        "(Gamma-Gamma model), untaxed, in the currency of the company that invoices it.",
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_predicted_currency_id = fields.Many2one(
        "res.currency",
        string="Prediction Currency",
        readonly=True,
        copy=False,
        groups="crm_relationship.crm_relationship_group_user",
    )
    crm_high_predicted_value = fields.Boolean(
        string="High Predicted Value",
        readonly=True,
        copy=False,
        help="Among the fifth of its company's customers with the highest predicted revenue.",
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

    # Card figures: each compute method reads one figure group of one document
    # type (crm.relationship.customer.document) for all the partners at once,
    # so a list or kanban view only pays for what it shows.

    @api.depends_context("company", "allowed_company_ids", "tz")
    def _compute_crm_sale_figures(self):
        self._crm_compute_figures("sale.order", "sales")

    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_delivery_figures(self):
        self._crm_compute_figures("stock.picking", "deliveries")

    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_invoice_figures(self):
        self._crm_compute_figures("account.move", "invoices")

    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_payment_figures(self):
        self._crm_compute_figures("account.payment", "payments")

    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_balance(self):
        self._crm_compute_figures("account.move", "balance")

    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_call_stats(self):
        self._crm_compute_figures("crm.relationship.call", "calls")

    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_equipment_counts(self):
        self._crm_compute_figures("crm.relationship.equipment", "equipment")

    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_defect_counts(self):
        self._crm_compute_figures("crm.relationship.defect", "defects")

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

    # ------------------------------------------------------------------
    # Card figures: one grouped query per document type for all partners
    # ------------------------------------------------------------------

    def _crm_compute_figures(self, res_model, group):
        """Set the card figures of the group ``group`` declared by the document
        type ``res_model`` (its ``_crm_card_figures`` and
        ``_crm_get_card_figures``) on the partners, read for their customers.

        To add a figure to the card: declare the group on your document type,
        add the fields to ``res.partner`` with a compute method calling this.
        The figures are read-only summaries of documents the user may not be
        allowed to open (a call-center operator without Sales or Invoicing
        rights still sees them): they are read with ``sudo()``, restricted to
        the companies active for the user."""
        Documents = self.env[res_model]
        customers = self.commercial_partner_id
        figures = Documents.sudo()._crm_get_card_figures(customers, group) if customers else {}
        self._crm_set_figures(figures, Documents._crm_card_figures[group])

    def _crm_set_figures(self, figures, defaults):
        """Assign ``figures`` (``{commercial partner id: {field: value}}``) to the
        partners, and ``defaults`` to the fields a customer has no figure for."""
        for partner in self:
            partner.update(dict(defaults, **figures.get(partner.commercial_partner_id.id, {})))

    def _crm_to_card_currency(self, currency, amount):
        company = self.env.company
        if not amount or currency == company.currency_id:
            return amount
        return currency._convert(amount, company.currency_id, company, fields.Date.context_today(self))

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
    def _crm_search_by_phone(self, number):
        """Active contacts the user may read whose phone is ``number``, in any format.

        The caller lookup runs on every incoming call: the keys of
        :meth:`_crm_phone_keys` matched on the indexed ``phone_sanitized``
        (``crm.relationship.indexed.lookup.mixin``).
        """
        return self._crm_lookup_exact("phone_sanitized", self._crm_phone_keys(number) if number else ())

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _crm_check_access(self, model="crm.relationship.timeline", operation="read"):
        """Raise an ``AccessError`` unless the user may read these partners and do
        ``operation`` on ``model``: the card's buttons are for Customer Relationship users."""
        self.env[model].check_access(operation)
        self.check_access("read")

    @api.readonly
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

    def _crm_action_documents(self, xmlid, res_model, domain=Domain.TRUE):
        """The action ``xmlid`` listing the customer's documents of type
        ``res_model`` (its ``_crm_get_customer_document_domain``) within ``domain``."""
        self.ensure_one()
        self._crm_check_access()
        Documents = self.env[res_model]
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = list(
            Documents._crm_get_customer_document_domain()
            & Domain(Documents._crm_customer_path, "=", self.commercial_partner_id.id)
            & domain
        )
        action["context"] = {"create": False}
        return action

    @api.readonly
    def action_view_crm_quotations(self):
        return self._crm_action_documents(
            "sale.action_quotations", "sale.order", Domain("state", "in", ("draft", "sent"))
        )

    @api.readonly
    def action_view_crm_orders(self):
        return self._crm_action_documents("sale.action_orders", "sale.order", Domain("state", "=", "sale"))

    @api.readonly
    def action_view_crm_deliveries(self):
        return self._crm_action_documents("stock.action_picking_tree_all", "stock.picking")

    @api.readonly
    def action_view_crm_invoices(self):
        return self._crm_action_documents("account.action_move_out_invoice_type", "account.move")

    @api.readonly
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

    @api.readonly
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

    def _prepare_crm_call_values(self):
        """A call with this partner: its customer, and the person when it is one."""
        self.ensure_one()
        return self.env["crm.relationship.call"]._prepare_partner_call_values(self)

    @api.readonly
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

    @api.readonly
    def action_view_crm_event_logs(self):
        self.ensure_one()
        self._crm_check_access("crm.relationship.event.log", "read")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_event_log_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"create": False}
        return action

    @api.readonly
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

    @api.readonly
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
