from collections import defaultdict

from odoo import api, fields, models, tools
from odoo.fields import Domain
from odoo.tools import SQL, frozendict

from .row_id import ROW_ID_BRANCHES, row_id

DEPARTMENTS = [
    ("sales", "Sales"),
    ("call_center", "Call Center"),
    ("administration", "Administration"),
    ("logistics", "Logistics"),
    ("production", "Production"),
    ("other", "Other"),
]

# Columns every branch selects, in this order, with their type: every branch
# casts its expressions to these types, so that PostgreSQL flattens the union
# and pushes the filters on the timeline into each source.
TIMELINE_COLUMNS = {
    "date": "timestamp",
    "entry_type": "varchar",
    "department": "varchar",
    "name": "varchar",
    "res_model": "varchar",
    "res_id": "integer",
    "partner_id": "integer",
    "commercial_partner_id": "integer",
    "company_id": "integer",
    "user_id": "integer",
    "amount": "numeric",
    "currency_id": "integer",
    "state": "varchar",
    "is_alert": "boolean",
}


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
    # Fields the branches read: pending changes to them are flushed before the
    # view is read. Extend it (it is merged) when you add a branch.
    _depends = frozendict(
        {
            "sale.order": [
                "date_order",
                "state",
                "name",
                "partner_id",
                "company_id",
                "user_id",
                "amount_total",
                "currency_id",
                "validity_date",
            ],
            "stock.picking": [
                "date_done",
                "scheduled_date",
                "name",
                "partner_id",
                "company_id",
                "user_id",
                "state",
                "picking_type_id",
                "return_id",
            ],
            "stock.picking.type": ["code"],
            "account.move": [
                "invoice_date",
                "date",
                "move_type",
                "name",
                "partner_id",
                "commercial_partner_id",
                "company_id",
                "invoice_user_id",
                "amount_total_signed",
                "payment_state",
                "state",
                "invoice_date_due",
            ],
            "account.payment": [
                "date",
                "name",
                "partner_id",
                "company_id",
                "amount_company_currency_signed",
                "state",
                "partner_type",
            ],
            "mail.message": ["date", "subject", "model", "res_id", "author_id", "message_type"],
            "res.partner": ["name", "commercial_partner_id", "company_id"],
            "res.company": ["currency_id"],
            "crm.relationship.call": [
                "date_start",
                "department",
                "subject",
                "contact_id",
                "partner_id",
                "company_id",
                "user_id",
                "state",
            ],
            "crm.relationship.equipment": [
                "delivery_date",
                "name",
                "site_id",
                "partner_id",
                "company_id",
                "state",
            ],
            "crm.relationship.defect": [
                "date_reported",
                "name",
                "contact_id",
                "partner_id",
                "company_id",
                "user_production_id",
                "user_call_center_id",
                "state",
            ],
        }
    )

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

    # Row ids are computed, so a condition on ``id`` alone makes PostgreSQL
    # scan every source: the document ids they carry are added as a condition
    # on ``res_id``, which each branch applies on its source's primary key.

    @api.model
    def _res_id_condition(self, condition):
        if condition.field_expr == "id" and condition.operator in ("in", "="):
            row_ids = condition.value if condition.operator == "in" else [condition.value]
            if isinstance(row_ids, (list, tuple, set, frozenset)) and all(
                isinstance(row_id, int) for row_id in row_ids
            ):
                return condition & Domain("res_id", "in", {row_id // ROW_ID_BRANCHES for row_id in row_ids})
        return condition

    @api.model
    def _search(self, domain, *args, **kwargs):
        return super()._search(Domain(domain).map_conditions(self._res_id_condition), *args, **kwargs)

    def _as_query(self, ordered=True):
        query = super()._as_query(ordered)
        if self._ids:
            res_ids = tuple({row_id // ROW_ID_BRANCHES for row_id in self._ids})
            query.add_where(SQL("%s IN %s", SQL.identifier(self._table, "res_id"), res_ids))
        return query

    # ------------------------------------------------------------------
    # Computed details, filled for the displayed page only
    # ------------------------------------------------------------------

    @api.model
    def _get_state_fields(self):
        """Field of each document model whose selection labels the ``state`` column."""
        return {
            "sale.order": "state",
            "stock.picking": "state",
            "account.move": "payment_state",
            "account.payment": "state",
            "mail.message": "message_type",
            "crm.relationship.call": "state",
            "crm.relationship.equipment": "state",
            "crm.relationship.defect": "state",
        }

    def _compute_state_label(self):
        state_fields = self._get_state_fields()
        labels = {}
        for res_model, field_name in state_fields.items():
            if res_model in self.env and field_name in self.env[res_model]._fields:
                field = self.env[res_model]._fields[field_name]
                labels[res_model] = dict(field._description_selection(self.env))
        for entry in self:
            entry.state_label = labels.get(entry.res_model, {}).get(entry.state, entry.state)

    @api.model
    def _get_product_filters(self):
        """Return ``{res_model: callable(product_ids) -> SQL}``: the SQL selects
        the ids of that model's documents concerning one of the products.
        Extend it to make the product filter work on your document type."""
        return {
            "sale.order": lambda ids: SQL(
                "SELECT order_id FROM sale_order_line WHERE product_id = ANY(%s)", ids
            ),
            "stock.picking": lambda ids: SQL(
                "SELECT picking_id FROM stock_move WHERE product_id = ANY(%s)", ids
            ),
            "account.move": lambda ids: SQL(
                "SELECT move_id FROM account_move_line WHERE product_id = ANY(%s)", ids
            ),
            "crm.relationship.equipment": lambda ids: SQL(
                "SELECT id FROM crm_relationship_equipment WHERE product_id = ANY(%s)", ids
            ),
            "crm.relationship.defect": lambda ids: SQL(
                "SELECT id FROM crm_relationship_defect WHERE product_id = ANY(%s)", ids
            ),
        }

    @api.model
    def _get_lot_filters(self):
        """Return ``{res_model: callable(pattern) -> SQL}``: the SQL selects the
        ids of that model's documents concerning a serial or lot number
        matching the ``ILIKE`` pattern. Extend it for your document type."""
        return {
            "stock.picking": lambda pattern: SQL(
                """SELECT ml.picking_id FROM stock_move_line ml
                     JOIN stock_lot lot ON lot.id = ml.lot_id
                    WHERE lot.name ILIKE %s""",
                pattern,
            ),
            "sale.order": lambda pattern: SQL(
                """SELECT sol.order_id FROM stock_move_line ml
                     JOIN stock_lot lot ON lot.id = ml.lot_id
                     JOIN stock_move sm ON sm.id = ml.move_id
                     JOIN sale_order_line sol ON sol.id = sm.sale_line_id
                    WHERE lot.name ILIKE %s""",
                pattern,
            ),
            "crm.relationship.equipment": lambda pattern: SQL(
                "SELECT id FROM crm_relationship_equipment WHERE serial_number ILIKE %s", pattern
            ),
            "crm.relationship.defect": lambda pattern: SQL(
                """SELECT defect.id FROM crm_relationship_defect defect
                     JOIN stock_lot lot ON lot.id = defect.lot_id
                    WHERE lot.name ILIKE %s""",
                pattern,
            ),
        }

    def _filter_documents(self, subqueries):
        """Domain keeping the rows whose document is selected by ``subqueries``."""

        def to_sql(model, alias, query):
            if not subqueries:
                return SQL("FALSE")
            return SQL(
                "(%s)",
                SQL(" OR ").join(
                    SQL(
                        "(%s = %s AND %s IN (%s))",
                        SQL.identifier(alias, "res_model"),
                        res_model,
                        SQL.identifier(alias, "res_id"),
                        subquery,
                    )
                    for res_model, subquery in subqueries.items()
                ),
            )

        return Domain.custom(to_sql=to_sql)

    def _compute_product_id(self):
        # Filter-only field: an entry may concern many products.
        self.product_id = False

    def _search_product_id(self, operator, value):
        Product = self.env["product.product"].with_context(active_test=False)
        if operator in ("in", "not in"):
            product_ids = [v for v in value if isinstance(v, int)]
        elif operator in ("any", "not any"):
            product_ids = list(Product._search(value))
        else:
            return NotImplemented
        subqueries = {
            res_model: build(product_ids) for res_model, build in self._get_product_filters().items()
        }
        domain = self._filter_documents(subqueries)
        return ~domain if operator.startswith("not") else domain

    def _compute_lot_name(self):
        pickings = self.filtered(lambda e: e.res_model == "stock.picking")
        lots = defaultdict(set)
        if pickings:
            for picking, lot in (
                self.env["stock.move.line"]
                .sudo()
                ._read_group(
                    [("picking_id", "in", pickings.mapped("res_id")), ("lot_id", "!=", False)],
                    ["picking_id", "lot_id"],
                )
            ):
                lots[picking.id].add(lot.name)
        for entry in self:
            names = lots.get(entry.res_id) if entry.res_model == "stock.picking" else None
            entry.lot_name = ", ".join(sorted(names)) if names else False

    def _search_lot_name(self, operator, value):
        if operator not in ("ilike", "=") or not isinstance(value, str):
            return NotImplemented
        pattern = f"%{value}%" if operator == "ilike" else value
        subqueries = {res_model: build(pattern) for res_model, build in self._get_lot_filters().items()}
        return self._filter_documents(subqueries)

    def _compute_summary(self):
        """Short details of each document (validity, status, serials, amount due).

        Read with ``sudo()``: like the rest of the row, a summary the user may
        see without opening the document."""
        by_model = defaultdict(list)
        for entry in self:
            by_model[entry.res_model].append(entry.res_id)
        details = {}
        for res_model, res_ids in by_model.items():
            method = getattr(self, "_summarize_%s" % res_model.replace(".", "_"), None)
            if method:
                for res_id, text in method(res_ids).items():
                    details[res_model, res_id] = text
        for entry in self:
            entry.summary = details.get((entry.res_model, entry.res_id), False)

    def _summarize_sale_order(self, ids):
        result = {}
        SaleOrder = self.env["sale.order"].sudo()
        invoice_status = dict(SaleOrder._fields["invoice_status"]._description_selection(self.env))
        delivery_status = dict(SaleOrder._fields["delivery_status"]._description_selection(self.env))
        today = fields.Date.context_today(self)
        for order in SaleOrder.browse(ids):
            if order.state in ("draft", "sent"):
                if order.validity_date:
                    text = self.env._("Valid until %s", fields.Date.to_string(order.validity_date))
                    if order.validity_date < today:
                        text = self.env._("%s (expired)", text)
                    result[order.id] = text
            elif order.state == "sale":
                parts = [delivery_status.get(order.delivery_status), invoice_status.get(order.invoice_status)]
                result[order.id] = " · ".join(p for p in parts if p)
        return result

    def _summarize_stock_picking(self, ids):
        entries = self.filtered(lambda e: e.res_model == "stock.picking")
        return {entry.res_id: entry.lot_name for entry in entries if entry.lot_name}

    def _summarize_account_move(self, ids):
        result = {}
        for move in self.env["account.move"].sudo().browse(ids):
            if move.amount_residual:
                result[move.id] = self.env._(
                    "Due %(amount)s by %(date)s",
                    amount=move.currency_id.format(move.amount_residual),
                    date=fields.Date.to_string(move.invoice_date_due),
                )
        return result

    def _summarize_mail_message(self, ids):
        return {
            message.id: tools.html2plaintext(message.body or "")[:120]
            for message in self.env["mail.message"].sudo().browse(ids)
        }

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_open_document(self):
        """Open the document of the entry, with the user's own access rights."""
        self.ensure_one()
        self.check_access("read")
        res_model, res_id = self.res_model, self.res_id
        if res_model == "mail.message":
            message = self.env["mail.message"].browse(res_id)
            res_model, res_id = message.model, message.res_id
        record = self.env[res_model].browse(res_id)
        record.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": res_model,
            "res_id": res_id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    # ------------------------------------------------------------------
    # View definition: the registry of document types
    # ------------------------------------------------------------------

    @api.model
    def _branch(self, code, from_clause, **columns):
        """Build one branch of the timeline.

        :param int code: a number unique to the branch, below 1000 (core
            branches use 1-99, leave them to this module): the row id is
            ``res_id * 1000 + code``, a ``bigint``.
        :param str from_clause: the ``FROM ... WHERE ...`` part of the query.
        :param columns: one SQL expression per name of ``TIMELINE_COLUMNS``;
            missing ones are NULL (``is_alert`` defaults to false).
        """
        unknown = set(columns) - set(TIMELINE_COLUMNS)
        if unknown:
            raise ValueError(f"Unknown timeline columns: {sorted(unknown)}")
        defaults = {"is_alert": "false"}
        exprs = [SQL("%s AS id", row_id(code, SQL(columns["res_id"])))]
        for column, column_type in TIMELINE_COLUMNS.items():
            expr = columns.get(column, defaults.get(column, "NULL"))
            exprs.append(SQL("(%s)::%s AS %s", SQL(expr), SQL(column_type), SQL.identifier(column)))
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
            self._get_call_source(),
            self._get_equipment_source(),
            self._get_defect_source(),
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
               JOIN res_company rc ON rc.id = am.company_id
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
            currency_id="rc.currency_id",
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
            name="COALESCE(NULLIF(mm.subject, ''), rp.name)",
            res_model="'mail.message'",
            res_id="mm.id",
            partner_id="rp.id",
            commercial_partner_id="rp.commercial_partner_id",
            company_id="rp.company_id",
            user_id="ru.id",
            state="mm.message_type",
        )

    @api.model
    def _get_call_source(self):
        return self._branch(
            6,
            "FROM crm_relationship_call call",
            date="call.date_start",
            entry_type="'call'",
            department="call.department",
            name="call.subject",
            res_model="'crm.relationship.call'",
            res_id="call.id",
            partner_id="COALESCE(call.contact_id, call.partner_id)",
            commercial_partner_id="call.partner_id",
            company_id="call.company_id",
            user_id="call.user_id",
            state="call.state",
        )

    @api.model
    def _get_equipment_source(self):
        return self._branch(
            7,
            "FROM crm_relationship_equipment eq",
            date="COALESCE(eq.delivery_date::timestamp, eq.create_date)",
            entry_type="'equipment'",
            department="'logistics'",
            name="eq.name",
            res_model="'crm.relationship.equipment'",
            res_id="eq.id",
            partner_id="eq.site_id",
            commercial_partner_id="eq.partner_id",
            company_id="eq.company_id",
            state="eq.state",
            is_alert="eq.state = 'under_repair'",
        )

    @api.model
    def _get_defect_source(self):
        return self._branch(
            8,
            "FROM crm_relationship_defect defect",
            date="defect.date_reported",
            entry_type="'defect'",
            department="'production'",
            name="defect.name",
            res_model="'crm.relationship.defect'",
            res_id="defect.id",
            partner_id="COALESCE(defect.contact_id, defect.partner_id)",
            commercial_partner_id="defect.partner_id",
            company_id="defect.company_id",
            user_id="COALESCE(defect.user_production_id, defect.user_call_center_id)",
            state="defect.state",
            is_alert="defect.state IN ('new', 'confirmed', 'analysis')",
        )

    def _summarize_crm_relationship_defect(self, ids):
        Defect = self.env["crm.relationship.defect"]
        severities = dict(Defect._fields["severity"]._description_selection(self.env))
        warranty = dict(Defect._fields["warranty_state"]._description_selection(self.env))
        result = {}
        for defect in Defect.sudo().browse(ids):
            parts = [
                severities.get(defect.severity),
                defect.category_id.name,
                defect.lot_id.name,
                warranty.get(defect.warranty_state),
            ]
            result[defect.id] = " · ".join(part for part in parts if part)
        return result

    def _summarize_crm_relationship_call(self, ids):
        directions = dict(
            self.env["crm.relationship.call"]._fields["direction"]._description_selection(self.env)
        )
        result = {}
        for call in self.env["crm.relationship.call"].sudo().browse(ids):
            parts = [call.channel_id.name, directions.get(call.direction), call.outcome_id.name]
            result[call.id] = " · ".join(part for part in parts if part)
        return result

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                SQL(" UNION ALL ").join(SQL("(%s)", source) for source in self._get_sources()),
            )
        )
