from datetime import date

from odoo.tests import tagged

from odoo.addons.crm_relationship.tests.common import CrmRelationshipCase


@tagged("post_install", "-at_install")
class TestContractDocumentType(CrmRelationshipCase):
    """A document type declared by another add-on shows on the card, the
    timeline (rows, filters, details) and the next planned action."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._create_call_customer("Caseificio Valtellina", contacts=[("Marta Bianchi", False)])
        cls.contact = cls.customer.child_ids
        cls.other_customer = cls._create_call_customer("Oleificio Ligure")
        cls.product = cls.env["product.product"].create(
            {"name": "Pastorizzatore P-200", "is_storable": True, "tracking": "serial"}
        )
        cls.other_product = cls.env["product.product"].create({"name": "Filtro"})
        cls.lot = cls.env["stock.lot"].create({"name": "PST-0042", "product_id": cls.product.id})
        Contract = cls.env["test.crm.relationship.contract"]
        cls.active = Contract.create(
            {
                "name": "Assistenza 2026",
                "partner_id": cls.contact.id,
                "date_start": date(2026, 1, 15),
                "amount": 1200.0,
                "product_id": cls.product.id,
                "lot_id": cls.lot.id,
                "state": "active",
            }
        )
        cls.expired = Contract.create(
            {
                "name": "Assistenza 2025",
                "partner_id": cls.customer.id,
                "date_start": date(2025, 1, 15),
                "amount": 900.0,
                "state": "expired",
            }
        )
        cls.cancelled = Contract.create(
            {"name": "Annullato", "partner_id": cls.customer.id, "amount": 50.0, "state": "cancel"}
        )
        cls.other = Contract.create(
            {"name": "Altro cliente", "partner_id": cls.other_customer.id, "amount": 70.0, "state": "active"}
        )
        cls.other_company = cls.env["res.company"].create({"name": "Filiale Svizzera"})
        cls.elsewhere = Contract.create(
            {
                "name": "Altra azienda",
                "partner_id": cls.customer.id,
                "company_id": cls.other_company.id,
                "amount": 5000.0,
                "state": "active",
            }
        )
        cls.rel_user.company_ids = cls.company | cls.other_company
        cls.user_env = cls.env(user=cls.rel_user, context={"allowed_company_ids": cls.company.ids})

    def test_registered_in_the_registry(self):
        Documents = self.env["crm.relationship.customer.document"]
        self.assertIn("test.crm.relationship.contract", Documents._crm_get_timeline_models())
        self.assertIn("test.crm.relationship.contract", self.env["res.partner"]._crm_next_activity_models())
        Timeline = self.user_env["crm.relationship.timeline"]
        labels = dict(Timeline._fields["entry_type"]._description_selection(self.user_env))
        self.assertEqual(labels["contract"], "Service Contract")

    def test_card_figures(self):
        card = self.user_env["res.partner"].browse(self.customer.id)
        self.assertEqual(
            card.crm_contract_count, 2, "the active and the expired contract; not the cancelled one"
        )
        self.assertEqual(card.crm_contract_active_amount, 1200.0)
        contact_card = self.user_env["res.partner"].browse(self.contact.id)
        self.assertEqual(contact_card.crm_contract_count, 2, "a contact shows the figures of its customer")
        both = self.env(
            user=self.rel_user, context={"allowed_company_ids": (self.company | self.other_company).ids}
        )
        self.assertEqual(both["res.partner"].browse(self.customer.id).crm_contract_active_amount, 6200.0)
        web = self.user_env["res.partner"].browse(self.customer.id).web_read({"crm_contract_count": {}})
        self.assertEqual(web[0]["crm_contract_count"], 2)

    def _rows(self, *domain):
        return self.user_env["crm.relationship.timeline"].search(
            [
                ("commercial_partner_id", "=", self.customer.id),
                ("res_model", "=", "test.crm.relationship.contract"),
            ]
            + list(domain)
        )

    def test_timeline_rows(self):
        rows = self._rows()
        self.assertEqual(set(rows.mapped("res_id")), {self.active.id, self.expired.id})
        by_id = {row.res_id: row for row in rows}
        active = by_id[self.active.id]
        self.assertEqual(active.id, self.active.id * 1000 + 50)
        self.assertEqual(active.entry_type, "contract")
        self.assertEqual(active.department, "sales")
        self.assertEqual(active.partner_id, self.contact)
        self.assertEqual(active.amount, 1200.0)
        self.assertEqual(active.state_label, "Active")
        self.assertEqual(active.summary, "Pastorizzatore P-200")
        self.assertEqual(active.lot_name, "PST-0042")
        self.assertFalse(active.is_alert)
        self.assertTrue(by_id[self.expired.id].is_alert, "an expired contract needs attention")
        self.assertEqual(self.user_env["crm.relationship.timeline"].browse(active.id).name, "Assistenza 2026")

    def test_timeline_filters(self):
        self.assertEqual(
            self._rows(("entry_type", "=", "contract")).mapped("res_id"), [self.active.id, self.expired.id]
        )
        self.assertEqual(
            self._rows(("product_id", "in", self.product.ids)).mapped("res_id"), [self.active.id]
        )
        self.assertFalse(self._rows(("product_id", "in", self.other_product.ids)))
        self.assertEqual(self._rows(("lot_name", "ilike", "0042")).mapped("res_id"), [self.active.id])
        self.assertFalse(self._rows(("lot_name", "ilike", "9999")))
        panel = self.user_env["crm.relationship.timeline"].search_panel_select_multi_range(
            "entry_type",
            search_domain=[("commercial_partner_id", "=", self.customer.id)],
            enable_counters=True,
        )
        counts = {value["id"]: value.get("__count") for value in panel["values"]}
        self.assertEqual(counts["contract"], 2, "the new type is a value of the search panel, with its rows")

    def test_next_action_and_customer_change(self):
        activity = self.active.activity_schedule(
            "mail.mail_activity_data_todo", date_deadline=date(2030, 1, 1), summary="Rinnovo contratto"
        )
        self.assertEqual(self.customer.crm_next_activity_id, activity)
        self.assertEqual(self.contact.crm_next_activity_id, activity, "kept on every partner of the customer")
        self.active.partner_id = self.other_customer
        self.assertFalse(self.customer.crm_next_activity_id, "the activity left with its contract")
        self.assertEqual(self.other_customer.crm_next_activity_id, activity)
