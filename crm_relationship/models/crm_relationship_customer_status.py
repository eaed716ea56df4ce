from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL

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


class CrmRelationshipCustomerStatus(models.AbstractModel):
    """The relationship status of a customer: its last contact and its next
    planned action, stored on every partner of the commercial entity.

    Both are maintained when activities, calls, messages, contacts or
    documents change (see ``mail.activity``, ``mail.message``, the calls and
    the customer documents' ``write``), so that the card, lists, filters and
    quotation banner read a column instead of scanning activities and the
    timeline. They are written with SQL: a cache of facts kept elsewhere, not
    an edit of the partner (no write date, tracking or access check on the
    partner). The documents taken into account are those of the customer
    document registry (``crm.relationship.customer.document``).
    """

    _name = "crm.relationship.customer.status"
    _description = "Customer Relationship Status"

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

    @api.model
    def _crm_next_activity_models(self):
        """Models whose activities count as a next action planned with their
        customer: partners, and the document types declaring it
        (``_crm_next_action_documents``)."""
        Documents = self.env["crm.relationship.customer.document"]
        return ["res.partner"] + [
            res_model
            for res_model in Documents._crm_get_timeline_models()
            if self.env[res_model]._crm_next_action_documents
        ]

    @api.model
    def _crm_contact_models(self):
        """Document types whose documents are contacts with the customer (``_crm_contact_documents``)."""
        Documents = self.env["crm.relationship.customer.document"]
        return [
            res_model
            for res_model in Documents._crm_get_timeline_models()
            if self.env[res_model]._crm_contact_documents
        ]

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
        (the documents of :meth:`_crm_contact_models`) of each customer."""
        return SQL(
            """SELECT t.commercial_partner_id, MAX(t.date)
                 FROM %s t
                WHERE t.res_model = ANY(%s) AND %s
             GROUP BY t.commercial_partner_id""",
            self.env["crm.relationship.timeline"]._table_sql,
            self._crm_contact_models(),
            SQL("t.commercial_partner_id = ANY(%s)", list(customer_ids))
            if customer_ids is not None
            else SQL("t.commercial_partner_id IS NOT NULL"),
        )

    @api.model
    def _crm_flush_relationship_sources(self):
        """Flush what the timeline and the activities read, before raw SQL reads them."""
        self.env["crm.relationship.timeline"]._flush_sources()
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
        contacts = self.filtered(lambda partner: partner.commercial_partner_id != partner)
        if not contacts:
            return
        contacts.flush_model(["commercial_partner_id"])
        self.env.execute_query(
            SQL(
                """UPDATE res_partner p
                      SET crm_next_activity_id = c.crm_next_activity_id,
                          crm_last_contact_date = c.crm_last_contact_date
                     FROM res_partner c
                    WHERE p.id = ANY(%s) AND c.id = p.commercial_partner_id AND c.id != p.id""",
                contacts.ids,
            )
        )
        contacts.invalidate_recordset(RELATIONSHIP_STATUS_FIELDS)

    @api.model
    def _crm_touch_last_contact(self, res_model, res_ids):
        """Move the last contact forward for new contact entries ``res_model``/``res_ids``
        (timeline document keys), reading only those entries."""
        if not res_ids or res_model not in self._crm_contact_models():
            return
        self._crm_flush_relationship_sources()
        self.env.execute_query(
            SQL(
                """UPDATE res_partner p
                      SET crm_last_contact_date = n.date
                     FROM (SELECT t.commercial_partner_id AS customer_id, MAX(t.date) AS date
                             FROM %(timeline)s t
                            WHERE t.res_model = %(model)s AND t.res_id = ANY(%(ids)s)
                         GROUP BY t.commercial_partner_id) AS n
                    WHERE p.commercial_partner_id = n.customer_id
                      AND (p.crm_last_contact_date IS NULL OR p.crm_last_contact_date < n.date)""",
                timeline=self.env["crm.relationship.timeline"]._table_sql,
                model=res_model,
                ids=list(res_ids),
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
