from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.crm_relationship.models.row_id import row_id

from .common import CrmRelationshipAnalyticsCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipReportMixin(CrmRelationshipAnalyticsCase):
    """The extension point of the analysis reports: an integrator adds a branch
    as the report helper's docstring says, and a malformed branch is refused."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._create_customer("Interventi S.p.A.")
        cls.invoice = cls._create_invoice(cls.customer, cls._day(3))
        cls.Report = cls.env["crm.relationship.profitability.report"]

    def test_integrator_branch(self):
        """A branch numbered 100 adds 40 of revenue per posted invoice: its rows
        have their own ids and count in the group's figures and margin."""
        Report = self.Report

        def _get_branches(report):
            return [
                *_get_branches.super(report),
                report._branch(
                    {
                        "id": row_id(100, SQL("m.id")),
                        "source": SQL("'invoice'"),
                        "name": SQL("m.name || ' (service)'"),
                        "date": SQL("m.invoice_date"),
                        "partner_id": SQL("m.commercial_partner_id"),
                        "company_id": SQL("m.company_id"),
                        "revenue": SQL("40.0"),
                    },
                    SQL("account_move m"),
                    report.env["account.move"]._crm_customer_document_sql("m"),
                ),
            ]

        _get_branches.super = type(Report)._get_branches
        domain = [("partner_id", "=", self.customer.id)]
        before = Report._read_group(domain, [], ["revenue:sum", "margin_percent:avg"])[0]
        with patch.object(type(Report), "_get_branches", _get_branches):
            rows = {row["id"]: row["name"] for row in Report.search_read(domain, ["name"])}
            after = Report._read_group(domain, [], ["revenue:sum", "margin_percent:avg"])[0]
        self.assertEqual(
            rows,
            {
                self.invoice.id * 1000 + 1: self.invoice.name,
                self.invoice.id * 1000 + 100: f"{self.invoice.name} (service)",
            },
        )
        self.assertEqual(before, (500.0, 40.0))
        # margin 200 + 40 of revenue without cost, over 540
        self.assertEqual(after[0], 540.0)
        self.assertAlmostEqual(after[1], 100.0 * 240.0 / 540.0)

    def test_malformed_branch(self):
        with self.assertRaisesRegex(ValueError, "has no column colour"):
            self.Report._branch(
                {"id": row_id(100, SQL("m.id")), "colour": SQL("'red'")}, SQL("account_move m")
            )
        with self.assertRaisesRegex(ValueError, "needs id"):
            self.Report._branch({"source": SQL("'call'")}, SQL("crm_relationship_call call"))
