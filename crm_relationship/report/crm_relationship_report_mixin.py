from odoo import api, models
from odoo.tools import SQL


class CrmRelationshipReportMixin(models.AbstractModel):
    """An analysis report read from SQL: the union of one ``SELECT`` per kind of source record.

    Each *branch* of the union turns one kind of record (invoices, calls,
    defects, delivered move lines...) into rows of the report. A branch
    selects every column of :meth:`_get_branch_columns`, in that order, and
    gives the others their default: 0 for a figure it has nothing to add to,
    NULL for a figure averaged over the rows that have one. The report reads
    the union as ``b`` through the usual pieces of Odoo's SQL reports:
    ``WITH`` :meth:`_with` ``SELECT`` :meth:`_select` ``FROM`` :meth:`_from`
    ``WHERE`` :meth:`_where`. Like Odoo's own sales and invoice analyses, the
    query is built for each search (``_table_query``) rather than stored as a
    view by ``init()``: figures that depend on the user's day (overdue
    balances) stay current, a branch added by a module applies as soon as it
    is loaded, and no view blocks an upgrade that alters the tables it reads.

    The id of a row is ``row_id(number, SQL("alias.id"))``
    (``crm_relationship/models/row_id.py``): a bigint made of the source
    record's id and the number of its branch, which can neither overflow nor
    collide and leads back to the record. A branch reads its business rules
    from their model (``account.move._crm_customer_document_sql(alias)``,
    ``stock.move.line._crm_customer_flow_sql(...)``...), never spelled again.

    To add a branch to a report, in a module inheriting the report model
    (e.g. the cost of field interventions in the profitability report):

    - override :meth:`_get_branches` to return ``super()._get_branches()``
      plus ``self._branch(select, from_, where)``: ``select`` maps branch
      columns to SQL on the aliases of ``from_``, with
      ``"id": row_id(number, SQL("alias.id"))`` and a number no other branch
      of the report uses (1-99 belong to this add-on and its bridges, 100-999
      are free for integrators); ``where`` is the rule of the records it
      counts, read from their model;
    - add the branch's ``source`` value to the selection
      (``fields.Selection(selection_add=[...])``) and the fields the branch
      reads to ``_depends``, so that pending changes are written before the
      report is read;
    - a new figure is a new field and a new column, 0 on the other branches:
      ``super()._get_branch_columns() | {"new_column": SQL("0")}``.
    """

    _name = "crm.relationship.report.mixin"
    _description = "Customer Analysis Report"

    @property
    def _table_query(self):
        return self._query()

    @api.model
    def _query(self):
        with_, where = self._with(), self._where()
        return SQL(
            "%s SELECT %s FROM %s %s",
            SQL("WITH %s", with_) if with_ else SQL(),
            self._select(),
            self._from(),
            SQL("WHERE %s", where) if where else SQL(),
        )

    @api.model
    def _with(self):
        """Named subqueries the branches share (``name AS (SELECT ...)``), if any."""
        return SQL()

    @api.model
    def _select(self):
        """The report's columns: those of the branches (``b``), then what every row adds to them."""
        return SQL("b.*")

    @api.model
    def _from(self):
        """The union of the branches as ``b``, then the tables every row joins."""
        return SQL("(%s) AS b", SQL(" UNION ALL ").join(self._get_branches()))

    @api.model
    def _where(self):
        """Condition on the rows of every branch, if any."""
        return SQL()

    def _read_group_select(self, aggregate_spec, query):
        """The average of a percentage of :meth:`_get_percentages` is that of the group's sums."""
        field_name, __, aggregator = aggregate_spec.partition(":")
        ratio = self._get_percentages().get(field_name)
        if not ratio or aggregator != "avg":
            return super()._read_group_select(aggregate_spec, query)
        numerator, denominator = (self._field_to_sql(self._table, name, query) for name in ratio)
        return SQL("COALESCE(100.0 * SUM(%s) / NULLIF(SUM(%s), 0), 0)", numerator, denominator)

    @api.model
    def _get_percentages(self):
        """``{field: (numerator field, denominator field)}``: the percentages whose average over a
        group is computed from the group's sums, not averaged over its rows."""
        return {}

    @api.model
    def _get_branch_columns(self):
        """``{column: default}``: the columns of every branch, in this order, with the SQL of
        their value on a branch that does not give them (``None``: every branch must)."""
        return {"id": None}

    @api.model
    def _get_branches(self):
        """The ``SELECT`` of each kind of source record (:meth:`_branch`); override to add one."""
        return []

    @api.model
    def _branch(self, select, from_, where=None):
        """SQL of one branch: ``SELECT`` the branch columns ``FROM from_ WHERE where``.

        :param dict select: ``{column: SQL}`` of the columns the branch gives,
            ``"id"`` being ``row_id(number, SQL("alias.id"))``
        :param SQL from_: the tables of the branch and their joins
        :param SQL where: condition on the records the branch counts
        """
        columns = self._get_branch_columns()
        if unknown := sorted(select.keys() - columns.keys()):
            raise ValueError(f"{self._name} has no column {', '.join(unknown)}.")
        if missing := [col for col, default in columns.items() if default is None and col not in select]:
            raise ValueError(f"A branch of {self._name} needs {', '.join(missing)}; the id is a row_id().")
        return SQL(
            "SELECT %s FROM %s %s",
            SQL(", ").join(
                SQL("%s AS %s", select.get(column, default), SQL.identifier(column))
                for column, default in columns.items()
            ),
            from_,
            SQL("WHERE %s", where) if where else SQL(),
        )
