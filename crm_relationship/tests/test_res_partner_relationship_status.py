from datetime import datetime, timedelta

from odoo import fields
from odoo.fields import Command
from odoo.tools import SQL

from .common import CrmRelationshipCase

NO_NEXT_ACTION = [("crm_has_next_action", "=", False)]
NOT_CONTACTED_60_DAYS = ["|", ("crm_last_contact_date", "<", "-60d"), ("crm_last_contact_date", "=", False)]


class TestRelationshipStatus(CrmRelationshipCase):
    """The last contact and the next planned action are stored on every partner
    of a customer and follow activities, calls, messages, contacts and documents."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "Idraulica Rossi S.r.l.", "is_company": True})
        cls.contact = Partner.create({"name": "Marta Rossi", "parent_id": cls.customer.id})
        cls.other_customer = Partner.create({"name": "Caldaie Verdi S.p.A.", "is_company": True})
        cls.product = cls.env["product.product"].create(
            {"name": "Valvola V-12", "type": "consu", "list_price": 40.0, "taxes_id": [Command.clear()]}
        )
        cls.quotation = cls.env["sale.order"].create(
            {
                "partner_id": cls.contact.id,
                "order_line": [Command.create({"product_id": cls.product.id, "product_uom_qty": 2})],
            }
        )
        cls.web_context = {"allowed_company_ids": [cls.company.id], "lang": "en_US", "tz": "Europe/Rome"}

    def _as_operator(self, records):
        return records.with_user(self.rel_user).with_context(**self.web_context)

    def _status(self, partner):
        partner = self._as_operator(partner)
        partner.invalidate_recordset()
        return partner.crm_next_activity_id, partner.crm_last_contact_date

    def _filtered(self, domain, partners=None):
        partners = partners or (self.customer | self.contact | self.other_customer)
        Partner = self._as_operator(self.env["res.partner"])
        return Partner.search([("id", "in", partners.ids), *domain])

    def _schedule(self, record, days, user, summary):
        return record.activity_schedule(
            "mail.mail_activity_data_todo",
            date_deadline=self.today + timedelta(days=days),
            summary=summary,
            user_id=user.id,
        )

    def test_next_activity_follows_activities(self):
        self.assertEqual(self._status(self.customer)[0], self.env["mail.activity"])
        self.assertEqual(self._filtered(NO_NEXT_ACTION), self.customer | self.contact | self.other_customer)

        on_quotation = self._schedule(self.quotation, 5, self.rel_manager, "Confermare la consegna")
        for partner in (self.customer, self.contact):
            self.assertEqual(self._status(partner)[0], on_quotation)
        self.assertEqual(self._filtered(NO_NEXT_ACTION), self.other_customer)
        card = self._as_operator(self.customer)
        self.assertEqual(card.crm_next_action_date, self.today + timedelta(days=5))
        self.assertEqual(card.crm_next_action_user_id, self.rel_manager)
        self.assertEqual(card.crm_next_action_summary, f"Confermare la consegna ({self.quotation.name})")
        self.assertFalse(card.crm_next_action_overdue)

        # an earlier activity on a contact, for the operator, takes over
        on_contact = self.contact.activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=self.today - timedelta(days=1),
            summary="Richiamare",
            user_id=self.rel_user.id,
        )
        self.assertEqual(self._status(self.customer)[0], on_contact)
        self.assertTrue(self._as_operator(self.customer).crm_next_action_overdue)

        # moving a deadline moves the next action
        on_quotation.date_deadline = self.today - timedelta(days=3)
        self.assertEqual(self._status(self.contact)[0], on_quotation)

        # reassigning it shows the new responsible at once
        on_quotation.user_id = self.rel_user
        self.assertEqual(self._as_operator(self.customer).crm_next_action_user_id, self.rel_user)

        # done: the next one is the remaining activity
        on_quotation.action_feedback(feedback="Consegna confermata")
        self.assertFalse(on_quotation.active)
        self.assertEqual(self._status(self.customer)[0], on_contact)

        # deleted: nothing planned anymore
        on_contact.unlink()
        self.assertEqual(self._status(self.customer)[0], self.env["mail.activity"])
        self.assertIn(self.customer, self._filtered(NO_NEXT_ACTION))
        self.assertIn("No next action", self._as_operator(self.customer).crm_alert_message)
        self.assertIn("No next action", self.quotation.crm_alert_message)

    def test_next_activity_moves_with_the_document_and_the_contact(self):
        on_quotation = self._schedule(self.quotation, 2, self.rel_manager, "Sollecitare")
        self.quotation.partner_id = self.other_customer
        self.assertEqual(self._status(self.customer)[0], self.env["mail.activity"])
        self.assertEqual(self._status(self.other_customer)[0], on_quotation)

        on_contact = self._schedule(self.contact, 1, self.rel_user, "Inviare il catalogo")
        self.assertEqual(self._status(self.customer)[0], on_contact)
        self.contact.parent_id = self.other_customer
        self.assertEqual(self._status(self.customer)[0], self.env["mail.activity"])
        self.assertEqual(self._status(self.other_customer)[0], on_contact)
        self.assertEqual(self._status(self.contact)[0], on_contact)

        # a new contact of a customer shows its customer's status from the start
        newcomer = self.env["res.partner"].create({"name": "Gino Verdi", "parent_id": self.other_customer.id})
        self.assertEqual(self._status(newcomer)[0], on_contact)
        self.assertNotIn(newcomer, self._filtered(NO_NEXT_ACTION, newcomer))

    def test_next_action_in_another_company_names_nothing(self):
        other_company = self.env["res.company"].create({"name": "Filiale Svizzera SA"})
        branch_contact = self.env["res.partner"].create(
            {"name": "Ufficio Lugano", "parent_id": self.customer.id, "company_id": other_company.id}
        )
        activity = self._schedule(branch_contact, 3, self.rel_manager, "Offerta riservata")
        self.assertEqual(self._status(self.customer)[0], activity)
        card = self._as_operator(self.customer)
        self.assertTrue(card.crm_has_next_action)
        self.assertEqual(card.crm_next_action_date, self.today + timedelta(days=3))
        self.assertEqual(card.crm_next_action_summary, "Planned in another company")
        self.assertFalse(card.crm_next_action_user_id)
        self.assertNotIn(self.customer, self._filtered(NO_NEXT_ACTION))
        # with both companies active, the activity is named as usual
        both = card.with_context(allowed_company_ids=[self.company.id, other_company.id])
        self.rel_user.company_ids |= other_company
        self.assertEqual(
            both.crm_next_action_summary, "Offerta riservata (Idraulica Rossi S.r.l., Ufficio Lugano)"
        )
        self.assertEqual(both.crm_next_action_user_id, self.rel_manager)

    def test_last_contact_follows_calls_and_messages(self):
        self.assertEqual(
            self._filtered(NOT_CONTACTED_60_DAYS), self.customer | self.contact | self.other_customer
        )
        long_ago = datetime.combine(self.today - timedelta(days=90), datetime.min.time())
        call = self._create_call(
            self.customer, user=self.rel_user, contact_id=self.contact.id, date_start=long_ago
        )
        self.assertEqual(self._status(self.customer)[1], long_ago)
        self.assertEqual(self._status(self.contact)[1], long_ago)
        self.assertIn(self.customer, self._filtered(NOT_CONTACTED_60_DAYS))

        # notifications and messages on documents are not contacts with the customer
        self.contact.message_post(body="Indirizzo aggiornato", message_type="notification")
        self.quotation.message_post(body="Offerta rivista", message_type="comment")
        self.assertEqual(self._status(self.customer)[1], long_ago)

        # a note on a contact is
        before = fields.Datetime.now() - timedelta(seconds=1)
        message = self.contact.message_post(body="Sentita al telefono", message_type="comment")
        self.assertGreaterEqual(self._status(self.customer)[1], before)
        self.assertEqual(self._filtered(NOT_CONTACTED_60_DAYS), self.other_customer)

        message.sudo().unlink()
        self.assertEqual(self._status(self.customer)[1], long_ago)

        recent = long_ago + timedelta(days=80)
        call.date_start = recent
        self.assertEqual(self._status(self.contact)[1], recent)
        self.assertEqual(self._filtered(NOT_CONTACTED_60_DAYS), self.other_customer)

        call.write({"partner_id": self.other_customer.id, "contact_id": False})
        self.assertFalse(self._status(self.customer)[1])
        self.assertEqual(self._status(self.other_customer)[1], recent)

        call.with_user(self.rel_manager).unlink()
        self.assertFalse(self._status(self.other_customer)[1])

    def test_recompute_of_existing_data_gives_the_maintained_values(self):
        """What the post-install and migration recompute gives equals what the
        changes maintained: the stored values are never a different rule."""
        activity = self._schedule(self.quotation, 4, self.rel_manager, "Visita tecnica")
        self._schedule(self.contact, 9, self.rel_user, "Preventivo")
        call = self._create_call(self.other_customer, user=self.rel_user)
        self.contact.message_post(body="Richiesta di ricambi", message_type="email")
        partners = self.customer | self.contact | self.other_customer
        maintained = {partner: self._status(partner) for partner in partners}
        self.assertEqual(maintained[self.customer][0], activity)
        self.assertEqual(maintained[self.other_customer][1], call.date_start)

        self.env.execute_query(
            SQL(
                """UPDATE res_partner SET crm_next_activity_id = NULL, crm_last_contact_date = NULL
                    WHERE id = ANY(%s)""",
                partners.ids,
            )
        )
        self.env["res.partner"]._crm_refresh_relationship_status()
        self.assertEqual({partner: self._status(partner) for partner in partners}, maintained)
