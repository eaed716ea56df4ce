from collections import defaultdict

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, frozendict


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ("sale.order", "crm.relationship.customer.document", "crm.relationship.call.source.mixin")
    _crm_call_field = "sale_order_id"
    _crm_call_department = "sales"

    _crm_timeline_code = 1
    _crm_card_figures = frozendict(
        sales=frozendict(
            crm_quotation_count=0,
            crm_quotation_amount=0.0,
            crm_quotation_expired_count=0,
            crm_order_count=0,
            crm_order_amount=0.0,
            crm_order_to_deliver_count=0,
            crm_order_to_invoice_count=0,
            crm_first_purchase_date=False,
            crm_last_purchase_date=False,
        )
    )
    _crm_next_action_documents = True

    crm_alert_message = fields.Text(
        string="Customer Alerts",
        compute="_compute_crm_alert_message",
        help="Open complaints, overdue invoices or missing next action of the customer.",
        groups="crm_relationship.crm_relationship_group_user",
    )

    # ------------------------------------------------------------------
    # Customer document: offers and sale orders
    # ------------------------------------------------------------------

    # Every sale order of a customer is one of its documents (the timeline
    # shows cancelled offers too): the mixin's rule applies as it is.

    @api.model
    def _crm_get_timeline_entry_types(self):
        quotation, order = self.env._("Offer"), self.env._("Sale Order")
        return [("quotation", quotation), ("order", order)]

    @api.model
    def _crm_get_timeline_depends(self):
        return {
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
        }

    @api.model
    def _crm_get_timeline_columns(self):
        return {
            "date": "doc.date_order",
            "entry_type": "CASE WHEN doc.state = 'sale' THEN 'order' ELSE 'quotation' END",
            "department": "'sales'",
            "user_id": "doc.user_id",
            "amount": "doc.amount_total",
            "currency_id": "doc.currency_id",
            "is_alert": "doc.state IN ('draft', 'sent') AND doc.validity_date < CURRENT_DATE",
        }

    @api.model
    def _crm_get_timeline_product_sql(self, product_ids):
        return SQL("SELECT order_id FROM sale_order_line WHERE product_id = ANY(%s)", product_ids)

    @api.model
    def _crm_get_timeline_lot_sql(self, pattern):
        return SQL(
            """SELECT sol.order_id FROM stock_move_line ml
                 JOIN stock_lot lot ON lot.id = ml.lot_id
                 JOIN stock_move sm ON sm.id = ml.move_id
                 JOIN sale_order_line sol ON sol.id = sm.sale_line_id
                WHERE lot.name ILIKE %s""",
            pattern,
        )

    @api.model
    def _crm_get_timeline_summaries(self, ids):
        """Validity of offers; delivery and invoicing status of orders."""
        result = {}
        invoice_status = dict(self._fields["invoice_status"]._description_selection(self.env))
        delivery_status = dict(self._fields["delivery_status"]._description_selection(self.env))
        today = fields.Date.context_today(self)
        for order in self.browse(ids):
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

    @api.model
    def _crm_get_card_figures(self, customers, group):
        """Offers and orders (counts, amounts, to deliver, to invoice) and the days
        of the first and last confirmed order, in the user's time zone."""
        result = defaultdict(lambda: defaultdict(float))
        today = fields.Date.context_today(self)
        to_card_currency = customers._crm_to_card_currency
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
        ) in self._read_group(
            self._crm_get_documents_domain(customers) & Domain("state", "in", ("draft", "sent", "sale")),
            ["partner_id", "currency_id", "state", "invoice_status", "delivery_status"],
            ["__count", "amount_total:sum", "date_order:min", "date_order:max", "validity_date:array_agg"],
        ):
            values = result[partner.commercial_partner_id.id]
            prefix = "crm_order" if state == "sale" else "crm_quotation"
            values[f"{prefix}_count"] += count
            values[f"{prefix}_amount"] += to_card_currency(currency, amount)
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

    # ------------------------------------------------------------------
    # Alerts
    # ------------------------------------------------------------------

    @api.depends("partner_id")
    @api.depends_context("company", "allowed_company_ids")
    def _compute_crm_alert_message(self):
        customers = self.partner_id.commercial_partner_id
        alerts = customers._crm_get_alerts() if customers else {}
        for order in self:
            messages = alerts.get(order.partner_id.commercial_partner_id.id)
            order.crm_alert_message = "\n".join(messages) if messages else False
