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
    # What the timeline reads besides its sources' own fields (see
    # ``_register_hook``): pending changes are flushed before it is read.
    _depends = frozendict({"res.partner": ["name", "commercial_partner_id", "company_id"]})

    date = fields.Datetime(readonly=True)
    entry_type = fields.Selection(selection="_selection_entry_type", string="Type", readonly=True)
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

    @api.model
    def _selection_entry_type(self):
        Documents = self.env["crm.relationship.customer.document"]
        return [
            entry_type
            for res_model in Documents._crm_get_timeline_models()
            for entry_type in self.env[res_model]._crm_get_timeline_entry_types()
        ]

    @api.model
    def _get_source_fields(self):
        """Fields the branches of the document types read (their
        ``_crm_get_timeline_depends``): pending changes to them are flushed
        before the timeline is read."""
        Documents = self.env["crm.relationship.customer.document"]
        fields_ = []
        for res_model in Documents._crm_get_timeline_models():
            for model_name, field_names in self.env[res_model]._crm_get_timeline_depends().items():
                model_fields = self.env[model_name]._fields
                fields_ += [model_fields[name] for name in field_names]
        return fields_

    @property
    def _table_sql(self):
        return SQL().join([super()._table_sql, *(SQL(to_flush=field) for field in self._get_source_fields())])

    @api.model
    def _flush_sources(self):
        """Flush what the timeline reads, before raw SQL reads it."""
        self.env.flush_query(self._table_sql)

    # ------------------------------------------------------------------
    # Computed details, filled for the displayed page only
    # ------------------------------------------------------------------

    def _compute_state_label(self):
        labels = {}
        for res_model in set(self.mapped("res_model")):
            Model = self.env[res_model]
            field = Model._fields.get(Model._crm_timeline_state_field)
            if field and field.type == "selection":
                labels[res_model] = dict(field._description_selection(self.env))
        for entry in self:
            entry.state_label = labels.get(entry.res_model, {}).get(entry.state, entry.state)

    @api.model
    def _get_document_filters(self, method, value):
        """``{res_model: SQL}`` of the sources that filter by ``method``
        (``_crm_get_timeline_product_sql`` or ``_crm_get_timeline_lot_sql``)."""
        Documents = self.env["crm.relationship.customer.document"]
        subqueries = {}
        for res_model in Documents._crm_get_timeline_models():
            subquery = getattr(self.env[res_model], method)(value)
            if subquery is not None:
                subqueries[res_model] = subquery
        return subqueries

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
        domain = self._filter_documents(
            self._get_document_filters("_crm_get_timeline_product_sql", product_ids)
        )
        return ~domain if operator.startswith("not") else domain

    def _get_documents_by_model(self):
        by_model = defaultdict(list)
        for entry in self:
            by_model[entry.res_model].append(entry.res_id)
        return by_model

    def _compute_lot_name(self):
        names = {}
        for res_model, res_ids in self._get_documents_by_model().items():
            for res_id, lots in self.env[res_model].sudo()._crm_get_timeline_lot_names(res_ids).items():
                names[res_model, res_id] = ", ".join(sorted(lots)) if lots else False
        for entry in self:
            entry.lot_name = names.get((entry.res_model, entry.res_id), False)

    def _search_lot_name(self, operator, value):
        if operator not in ("ilike", "=") or not isinstance(value, str):
            return NotImplemented
        pattern = f"%{value}%" if operator == "ilike" else value
        return self._filter_documents(self._get_document_filters("_crm_get_timeline_lot_sql", pattern))

    def _compute_summary(self):
        """Short details of each document (validity, status, serials, amount due),
        given by its document type (``_crm_get_timeline_summaries``)."""
        details = {}
        for res_model, res_ids in self._get_documents_by_model().items():
            for res_id, text in self.env[res_model].sudo()._crm_get_timeline_summaries(res_ids).items():
                details[res_model, res_id] = text
        for entry in self:
            entry.summary = details.get((entry.res_model, entry.res_id), False)

    # ------------------------------------------------------------------
    # Search panel: counts of the types and departments, like the list
    # ------------------------------------------------------------------

    @api.model
    @api.readonly
    def search_panel_select_multi_range(self, field_name, **kwargs):
        """The types and departments of the entries, with their counts. Only reads: served by a
        read replica when Odoo has one, like the list it filters."""
        return super().search_panel_select_multi_range(field_name, **kwargs)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    @api.readonly
    def action_open_document(self):
        """Open the document of the entry, with the user's own access rights.

        Only reads: served by a read replica when Odoo has one."""
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
    # View definition: one branch per document type of the registry
    # ------------------------------------------------------------------

    @api.model
    def _branch(self, code, from_clause, **columns):
        """Build one branch of the timeline, for a document type's
        ``_crm_get_timeline_branch()``.

        :param int code: the document type's ``_crm_timeline_code``: the row
            id is ``res_id * 1000 + code``, a ``bigint``.
        :param from_clause: the ``FROM ... WHERE ...`` part of the query
            (``str`` or ``SQL``).
        :param columns: one SQL expression (``str`` or ``SQL``) per name of ``TIMELINE_COLUMNS``;
            missing ones are NULL (``is_alert`` defaults to false).
        """
        unknown = set(columns) - set(TIMELINE_COLUMNS)
        if unknown:
            raise ValueError(f"Unknown timeline columns: {sorted(unknown)}")
        defaults = {"is_alert": "false"}
        exprs = [SQL("%s AS id", row_id(code, SQL(columns["res_id"])))]
        for column, column_type in TIMELINE_COLUMNS.items():
            expr = columns.get(column, defaults.get(column, "NULL"))
            expr = expr if isinstance(expr, SQL) else SQL(expr)
            exprs.append(SQL("(%s)::%s AS %s", expr, SQL(column_type), SQL.identifier(column)))
        from_sql = from_clause if isinstance(from_clause, SQL) else SQL(from_clause)
        return SQL("SELECT %s %s", SQL(", ").join(exprs), from_sql)

    @api.model
    def _get_sources(self):
        """The SQL branches of the timeline, one per document type of the
        registry (``crm.relationship.customer.document``). The view is rebuilt
        when an add-on declaring a document type is installed or updated."""
        Documents = self.env["crm.relationship.customer.document"]
        return [
            self.env[res_model]._crm_get_timeline_branch()
            for res_model in Documents._crm_get_timeline_models()
        ]

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                SQL(" UNION ALL ").join(SQL("(%s)", source) for source in self._get_sources()),
            )
        )
