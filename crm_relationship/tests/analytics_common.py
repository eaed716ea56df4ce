from datetime import date, timedelta

from odoo import fields
from odoo.fields import Command

from .common import CrmRelationshipCase


class CrmRelationshipAnalyticsCase(CrmRelationshipCase):
    """A company of its own (scores are relative to a company's customers) and
    factories for invoices, payments, calls and defects."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.company_a = cls.env["res.company"].create(
            {"name": "Analitica S.p.A.", "currency_id": cls.env.company.currency_id.id}
        )
        cls.env["account.chart.template"].try_loading("generic_coa", cls.company_a, install_demo=False)
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.company_a.id]))
        for user in (cls.rel_user, cls.rel_manager):
            user.write({"company_ids": [Command.link(cls.company_a.id)], "company_id": cls.company_a.id})
        cls.product = cls.env["product.product"].create(
            {
                "name": "Caldaia C-24",
                "type": "consu",
                "list_price": 500.0,
                "standard_price": 300.0,
                "taxes_id": [Command.clear()],
            }
        )

    @classmethod
    def _day(cls, days_ago):
        """``days_ago`` days before today, but not before the 1st of January of this year."""
        return max(cls.today - timedelta(days=days_ago), date(cls.today.year, 1, 1))

    @classmethod
    def _create_customer(cls, name, **values):
        return cls.env["res.partner"].create(
            dict({"name": name, "is_company": True, "company_id": cls.company_a.id}, **values)
        )

    @classmethod
    def _create_invoice(
        cls, partner, invoice_date, quantity=1.0, price=500.0, move_type="out_invoice", **values
    ):
        """A posted invoice (or credit note) without taxes of ``quantity`` × ``price`` of the product."""
        move = cls.env["account.move"].create(
            dict(
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "invoice_date": invoice_date,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": cls.product.id,
                                "quantity": quantity,
                                "price_unit": price,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                },
                **values,
            )
        )
        move.action_post()
        return move

    @classmethod
    def _pay(cls, invoice, payment_date):
        cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"payment_date": payment_date}).action_create_payments()

    @classmethod
    def _create_defect(cls, partner, reported, warranty=True, **values):
        """A defect on a unit of the product delivered to ``partner``, in warranty or not."""
        equipment = cls.env["crm.relationship.equipment"].create(
            {
                "partner_id": partner.id,
                "product_id": cls.product.id,
                "warranty_end_date": cls.today + timedelta(days=365 if warranty else -3650),
            }
        )
        return cls.env["crm.relationship.defect"].create(
            dict(
                {
                    "partner_id": partner.id,
                    "product_id": cls.product.id,
                    "equipment_id": equipment.id,
                    "date_reported": fields.Datetime.to_datetime(reported),
                },
                **values,
            )
        )
