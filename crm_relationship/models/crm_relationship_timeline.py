from odoo import api, fields, models, tools
from odoo.fields import Domain
from odoo.tools import SQL

DEPARTMENTS = [
    ("sales", "Sales"),
    ("call_center", "Call Center"),
    ("administration", "Administration"),
    ("logistics", "Logistics"),
    ("production", "Production"),
    ("other", "Other"),
]

# Columns every branch of the timeline selects, in this order.
TIMELINE_COLUMNS = (
    "date",
    "entry_type",
    "department",
    "name",
    "res_model",
    "res_id",
    "partner_id",
    "commercial_partner_id",
    "company_id",
    "user_id",
    "amount",
    "currency_id",
    "state",
    "is_alert",
)


class CrmRelationshipTimeline(models.Model):
    """One chronological feed of everything that happened with a customer.

    A read-only SQL view: each document type is one branch of a ``UNION ALL``
    (see :meth:`_get_sources`), so the feed is always live, paginated and
    filtered by PostgreSQL, and never duplicates the documents it shows.

    Rows are summaries (number, date, state, amount): a Relationship user
    reads them without the rights of the app owning the document, while
    :meth:`action_open_document` opens the document itself with the user's
    normal rights.
    """

    _name = "crm.relationship.timeline"
    _description = "Customer Timeline Entry"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "name"

    date = fields.Datetime(readonly=True)
    entry_type = fields.Selection(
        [
            ("quotation", "Offer"),
            ("order", "Sale Order"),
            ("delivery", "Delivery"),
            ("return", "Return"),
            ("invoice", "Invoice"),
            ("refund", "Credit Note"),
            ("payment", "Payment"),
            ("call", "Call"),
            ("equipment", "Equipment"),
            ("defect", "Defect"),
            ("message", "Message"),
        ],
        string="Type",
        readonly=True,
    )
    department = fields.Selection(DEPARTMENTS, readonly=True)
    name = fields.Char(string="Reference", readonly=True)
    res_model = fields.Char(string="Document Model", readonly=True)
    res_id = fields.Many2oneReference(string="Document", model_field="res_model", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Contact", readonly=True)
    commercial_partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True)
    amount = fields.Monetary(readonly=True, currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", readonly=True)
    state = fields.Char(string="Technical Status", readonly=True)
    is_alert = fields.Boolean(
        string="Needs Attention",
        readonly=True,
        help="Expired offer, overdue invoice, return or open complaint.",
    )
    state_label = fields.Char(string="Status", compute="_compute_state_label")
    summary = fields.Char(string="Details", compute="_compute_summary")
    product_id = fields.Many2one(
        "product.product",
        string="Product",
        compute="_compute_product_id",
        search="_search_product_id",
        help="Filter the entries that concern this product.",
    )
    lot_name = fields.Char(
        string="Serial / Lot Number",
        compute="_compute_lot_name",
        search="_search_lot_name",
        help="Filter the entries that concern this serial or lot number (exact or partial).",
    )

    # ------------------------------------------------------------------
    # View definition: the registry of document types
    # ------------------------------------------------------------------

    @api.model
    def _branch(self, code, from_clause, **columns):
        """Build one branch of the timeline.

        :param int code: a number unique to the branch, below 1000 (core
            branches use 1-99, leave them to this module): the row id is
            ``res_id * 1000 + code``.
        :param str from_clause: the ``FROM ... WHERE ...`` part of the query.
        :param columns: one SQL expression per name of ``TIMELINE_COLUMNS``;
            missing ones are NULL (``is_alert`` defaults to false).
        """
        unknown = set(columns) - set(TIMELINE_COLUMNS)
        if unknown:
            raise ValueError(f"Unknown timeline columns: {sorted(unknown)}")
        defaults = {"is_alert": "false"}
        exprs = [SQL("(%s) * 1000 + %s AS id", SQL(columns["res_id"]), code)]
        for column in TIMELINE_COLUMNS:
            expr = columns.get(column, defaults.get(column, "NULL"))
            exprs.append(SQL("%s AS %s", SQL(expr), SQL.identifier(column)))
        return SQL("SELECT %s %s", SQL(", ").join(exprs), SQL(from_clause))

    @api.model
    def _get_sources(self):
        """Return the SQL branches of the timeline, one per document type.

        This is the extension point for integrators: to show a document type
        of your own on every customer card, inherit this model, add your type
        to ``entry_type`` with ``selection_add``, and return
        ``super()._get_sources() + [self._branch(code, from_clause, ...)]``.
        The view is rebuilt when your add-on is installed or updated. Import
        your ``crm.relationship.timeline`` extension after your own models, so
        their tables exist when the view is built.
        """
        return [
            self._get_sale_order_source(),
            self._get_picking_source(),
            self._get_invoice_source(),
            self._get_payment_source(),
            self._get_message_source(),
        ]

    @api.model
    def _get_sale_order_source(self):
        return self._branch(
            1,
            """FROM sale_order so
               JOIN res_partner rp ON rp.id = so.partner_id""",
            date="so.date_order",
            entry_type="CASE WHEN so.state = 'sale' THEN 'order' ELSE 'quotation' END",
            department="'sales'",
            name="so.name",
            res_model="'sale.order'",
            res_id="so.id",
            partner_id="so.partner_id",
            commercial_partner_id="rp.commercial_partner_id",
            company_id="so.company_id",
            user_id="so.user_id",
            amount="so.amount_total",
            currency_id="so.currency_id",
            state="so.state",
            is_alert="so.state IN ('draft', 'sent') AND so.validity_date < CURRENT_DATE",
        )

    @api.model
    def _get_picking_source(self):
        return self._branch(
            2,
            """FROM stock_picking sp
               JOIN stock_picking_type spt ON spt.id = sp.picking_type_id
               JOIN res_partner rp ON rp.id = sp.partner_id
              WHERE spt.code = 'outgoing' OR (spt.code = 'incoming' AND sp.return_id IS NOT NULL)""",
            date="COALESCE(sp.date_done, sp.scheduled_date)",
            entry_type="CASE WHEN spt.code = 'outgoing' THEN 'delivery' ELSE 'return' END",
            department="'logistics'",
            name="sp.name",
            res_model="'stock.picking'",
            res_id="sp.id",
            partner_id="sp.partner_id",
            commercial_partner_id="rp.commercial_partner_id",
            company_id="sp.company_id",
            user_id="sp.user_id",
            state="sp.state",
            is_alert="spt.code = 'incoming'",
        )

    @api.model
    def _get_invoice_source(self):
        return self._branch(
            3,
            """FROM account_move am
              WHERE am.move_type IN ('out_invoice', 'out_refund') AND am.state = 'posted'""",
            date="COALESCE(am.invoice_date, am.date)::timestamp",
            entry_type="CASE WHEN am.move_type = 'out_invoice' THEN 'invoice' ELSE 'refund' END",
            department="'administration'",
            name="am.name",
            res_model="'account.move'",
            res_id="am.id",
            partner_id="am.partner_id",
            commercial_partner_id="am.commercial_partner_id",
            company_id="am.company_id",
            user_id="am.invoice_user_id",
            amount="am.amount_total_signed",
            currency_id="am.company_currency_id",
            state="am.payment_state",
            is_alert="""am.payment_state IN ('not_paid', 'partial')
                        AND am.move_type = 'out_invoice' AND am.invoice_date_due < CURRENT_DATE""",
        )

    @api.model
    def _get_payment_source(self):
        return self._branch(
            4,
            """FROM account_payment ap
               JOIN res_partner rp ON rp.id = ap.partner_id
               JOIN res_company rc ON rc.id = ap.company_id
              WHERE ap.partner_type = 'customer' AND ap.state IN ('in_process', 'paid')""",
            date="ap.date::timestamp",
            entry_type="'payment'",
            department="'administration'",
            name="ap.name",
            res_model="'account.payment'",
            res_id="ap.id",
            partner_id="ap.partner_id",
            commercial_partner_id="rp.commercial_partner_id",
            company_id="ap.company_id",
            amount="ap.amount_company_currency_signed",
            currency_id="rc.currency_id",
            state="ap.state",
        )

    @api.model
    def _get_message_source(self):
        return self._branch(
            5,
            """FROM mail_message mm
               JOIN res_partner rp ON mm.model = 'res.partner' AND rp.id = mm.res_id
          LEFT JOIN res_users ru ON ru.partner_id = mm.author_id
              WHERE mm.message_type IN ('comment', 'email', 'email_outgoing')""",
            date="mm.date",
            entry_type="'message'",
            department="'other'",
            name="COALESCE(NULLIF(mm.subject, ''), mm.record_name)",
            res_model="'mail.message'",
            res_id="mm.id",
            partner_id="rp.id",
            commercial_partner_id="rp.commercial_partner_id",
            company_id="rp.company_id",
            user_id="ru.id",
            state="mm.message_type",
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                SQL(" UNION ALL ").join(SQL("(%s)", source) for source in self._get_sources()),
            )
        )
