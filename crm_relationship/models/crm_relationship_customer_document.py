import re

from odoo import api, models, tools
from odoo.fields import Domain
from odoo.tools import SQL, frozendict


def sql_condition(template, alias):
    """``template`` (SQL text whose column names are prefixed by ``{t}``) for
    the table alias ``alias``, or for the bare table when ``alias`` is empty
    (index predicates). One text serves a rule's SQL twin and its indexes."""
    if alias and not re.fullmatch(r"[a-z_][a-z0-9_]*", alias):
        raise ValueError(f"Invalid table alias: {alias!r}")
    return template.format(t=f"{alias}." if alias else "")


class CrmRelationshipCustomerDocument(models.AbstractModel):
    """A type of document that belongs to a customer: the registry of the card.

    Every document type the card knows (offers and orders, delivery notes,
    invoices, payments, messages, calls, equipment, defect reports, and what
    bridges add) inherits this model and declares here, once:

    - what a customer's document is: :meth:`_crm_get_customer_document_domain`
      and its SQL twin :meth:`_crm_customer_document_sql`, the path to the
      customer ``_crm_customer_path`` and its company ``_crm_company_field``;
    - its branch of the timeline: ``_crm_timeline_code``,
      :meth:`_crm_get_timeline_branch`, :meth:`_crm_get_timeline_depends`,
      :meth:`_crm_get_timeline_entry_types`, and optionally its product and
      serial filters and the details of its rows;
    - the figures it gives the card: ``_crm_card_figures`` and
      :meth:`_crm_get_card_figures`;
    - whether its open activities are a next action planned with the customer
      (``_crm_next_action_documents``) and whether it is a contact with the
      customer (``_crm_contact_documents``).

    The card, the timeline, the alerts, the relationship status, the analyses
    and the scheduled jobs read these declarations; a bridge add-on adds a
    document type to all of them by inheriting this model on its own model.
    """

    _name = "crm.relationship.customer.document"
    _description = "Customer Document"

    # Path from a document to a partner whose commercial entity is the customer.
    _crm_customer_path = "partner_id.commercial_partner_id"
    # Field of the document's company (multi-company: card figures and timeline rows).
    _crm_company_field = "company_id"
    # Branch number of the timeline, unique, below 1000 (1-99 are the core's;
    # row ids are ``document id * 1000 + code``); 0: not on the timeline.
    _crm_timeline_code = 0
    # Field whose selection labels the ``state`` column of the timeline.
    _crm_timeline_state_field = "state"
    # ``{figure group: {res.partner field: value when the customer has none}}``.
    _crm_card_figures = frozendict()
    # Its open activities count as the next action planned with the customer.
    _crm_next_action_documents = False
    # Each document is a contact with the customer (last contact date).
    _crm_contact_documents = False
    # Fields whose change may give a document to another customer.
    _crm_customer_fields = frozenset(("partner_id",))

    # ------------------------------------------------------------------
    # The registry
    # ------------------------------------------------------------------

    @api.model
    @tools.ormcache()
    def _crm_get_document_models(self):
        """Names of the models declaring a document type, in timeline order.

        Kept in the registry cache: the models only change when the registry
        is set up again, which clears it."""
        names = self.env.registry.descendants([self._name], "_inherit") - {self._name}
        models_ = [self.env[name] for name in names if not self.env[name]._abstract]
        return tuple(model._name for model in sorted(models_, key=lambda model: model._crm_timeline_code))

    @api.model
    def _crm_get_timeline_models(self):
        """Document models shown on the timeline, in timeline order."""
        return [name for name in self._crm_get_document_models() if self.env[name]._crm_timeline_code]

    # ------------------------------------------------------------------
    # What a customer's document is
    # ------------------------------------------------------------------

    @api.model
    def _crm_get_customer_document_domain(self):
        """Records of this model that are customer documents; override on each document type."""
        return Domain.TRUE

    @api.model
    def _crm_customer_document_sql(self, alias):
        """SQL twin of :meth:`_crm_get_customer_document_domain` on the table alias ``alias``."""
        return SQL("TRUE")

    @api.model
    def _crm_get_documents_domain(self, customers):
        """Customer documents of ``customers`` (commercial partners) in the companies active for the user."""
        return (
            self._crm_get_customer_document_domain()
            & Domain(self._crm_customer_path, "in", customers.ids)
            & Domain(self._crm_company_field, "in", self.env.companies.ids)
        )

    # ------------------------------------------------------------------
    # The timeline
    # ------------------------------------------------------------------

    @api.model
    def _crm_get_timeline_branch(self):
        """The ``SELECT`` of this document type on the timeline: the customer
        documents (:meth:`_crm_customer_document_sql`) of the model's table,
        aliased ``doc``, joined by :meth:`_crm_get_timeline_joins`, with the
        columns of :meth:`_crm_get_timeline_columns` over these defaults."""
        columns = {
            "res_model": SQL("%s", self._name),
            "res_id": "doc.id",
            "name": "doc.name",
            "partner_id": "doc.partner_id",
            "commercial_partner_id": "doc.partner_id"
            if self._crm_customer_is_partner()
            else "rp.commercial_partner_id",
            "company_id": f"doc.{self._crm_company_field}",
            "state": f"doc.{self._crm_timeline_state_field}",
        }
        columns.update(self._crm_get_timeline_columns())
        return self.env["crm.relationship.timeline"]._branch(
            self._crm_timeline_code,
            SQL(
                "FROM %s doc %s WHERE %s",
                SQL.identifier(self._table),
                self._crm_get_timeline_joins(),
                self._crm_get_timeline_where("doc"),
            ),
            **columns,
        )

    @api.model
    def _crm_customer_is_partner(self):
        """Whether ``partner_id`` is the customer itself (a commercial entity)."""
        return self._crm_customer_path == "partner_id"

    @api.model
    def _crm_get_timeline_joins(self):
        """``JOIN`` clauses of the timeline branch: by default ``rp``, the
        document's partner, whose commercial entity is the customer."""
        if self._crm_customer_is_partner():
            return SQL()
        return SQL("JOIN res_partner rp ON rp.id = doc.partner_id")

    @api.model
    def _crm_get_timeline_where(self, alias):
        """Condition on the documents shown on the timeline: the customer's
        documents, unless another row of the timeline already shows some."""
        return self._crm_customer_document_sql(alias)

    @api.model
    def _crm_get_timeline_columns(self):
        """SQL expressions of the timeline columns (see ``TIMELINE_COLUMNS`` of
        ``crm.relationship.timeline``) on the document ``doc``: at least
        ``date``, ``entry_type`` and ``department``."""
        raise NotImplementedError(f"{self._name} declares a timeline code but no timeline columns")

    @api.model
    def _crm_get_timeline_depends(self):
        """``{model: [fields]}`` the timeline branch reads: they are flushed before the timeline is."""
        return {}

    @api.model
    def _crm_get_timeline_entry_types(self):
        """``[(entry type, label)]`` of the rows of this document type."""
        return []

    @api.model
    def _crm_get_timeline_product_sql(self, product_ids):
        """SQL selecting the ids of documents concerning one of ``product_ids``, or None."""

    @api.model
    def _crm_get_timeline_lot_sql(self, pattern):
        """SQL selecting the ids of documents concerning a serial or lot number
        matching the ``ILIKE`` pattern, or None."""

    @api.model
    def _crm_get_timeline_summaries(self, ids):
        """``{document id: short details}`` for the timeline rows of documents ``ids``.

        Read with ``sudo()`` by the timeline: like the rest of the row, a
        summary the user may see without opening the document."""
        return {}

    @api.model
    def _crm_get_timeline_lot_names(self, ids):
        """``{document id: [serial and lot numbers]}`` of documents ``ids``."""
        return {}

    # ------------------------------------------------------------------
    # The card
    # ------------------------------------------------------------------

    @api.model
    def _crm_get_card_figures(self, customers, group):
        """``{customer id: {res.partner field: value}}`` of the figure group
        ``group`` (a key of ``_crm_card_figures``) for ``customers``
        (commercial partners), from one grouped query for all of them.

        Called with ``sudo()`` by the card: figures are read-only summaries of
        documents the user may not be allowed to open (a call-center operator
        without Sales or Invoicing rights still sees them). Restrict them to
        the companies active for the user (:meth:`_crm_get_documents_domain`).
        """
        return {}

    def init(self):
        """A document type declared by another add-on joins the timeline when
        that add-on is installed or updated (the core's own types are built
        by the timeline itself, once all their tables exist)."""
        res = super().init()
        if self._crm_timeline_code and "crm_relationship" in self.pool._init_modules:
            self.env["crm.relationship.timeline"].init()
        return res

    # ------------------------------------------------------------------
    # Moving activities with their document
    # ------------------------------------------------------------------

    def write(self, vals):
        """Move the open activities of documents given to another customer
        (``_crm_customer_fields``) to that customer's next planned action."""
        if (
            not self._crm_next_action_documents
            or not self._crm_customer_fields & vals.keys()
            or not self.sudo().activity_ids
        ):
            return super().write(vals)
        Partner = self.env["res.partner"]
        customer_ids = Partner._crm_get_customers_of(self._name, self.ids)
        result = super().write(vals)
        Partner._crm_refresh_relationship_status(
            customer_ids | Partner._crm_get_customers_of(self._name, self.ids), last_contact=False
        )
        return result
