from odoo import api, models, tools
from odoo.tools import SQL


class CrmRelationshipIndexedLookupMixin(models.AbstractModel):
    """Exact lookups that run while a customer is on the phone: the caller's
    number among the contacts, a serial number among the equipment.

    One match on an indexed column within the clauses of the record rules the
    user's ``search([])`` would apply (kept in the registry cache), without the
    generic domain processing of ``search()``.
    """

    _name = "crm.relationship.indexed.lookup.mixin"
    _description = "Indexed Lookup of Readable Records"

    @api.model
    @tools.ormcache("self.env.uid", "self.env.su", "tuple(self.env.companies.ids)")
    def _crm_readable_sql(self):
        """``FROM`` and ``WHERE`` clauses of the active records the user may read
        (the query of ``search([])``), kept in the registry cache under the keys
        of the record rules they come from and cleared with them."""
        query = self.with_context(active_test=True)._search([])
        return query.from_clause, query.where_clause

    @api.model
    def _crm_lookup_exact(self, field_name, values):
        """Active records the user may read whose ``field_name`` is one of ``values``, by id."""
        values = tuple(value for value in values if value)
        if not values:
            return self.browse()
        from_clause, where_clause = self._crm_readable_sql()
        record_id = SQL.identifier(self._table, "id")
        rows = self.env.execute_query(
            SQL(
                "SELECT %s FROM %s WHERE %s AND %s IN %s ORDER BY %s",
                record_id,
                from_clause,
                where_clause or SQL("TRUE"),
                self._field_to_sql(self._table, field_name),
                values,
                record_id,
            )
        )
        return self.browse([row[0] for row in rows])
