from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from odoo.addons.crm_relationship.tests.common import CrmRelationshipDefectCase


class SatisfactionCase(CrmRelationshipDefectCase):
    """Rossi Impianti's contact Marco (Italian, with an e-mail address) reports defects of boilers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contact.write({"email": "marco.rossi@rossi.example.com", "lang": "it_IT"})
        cls.equipment_category = cls.env["crm.relationship.equipment.category"].create({"name": "Caldaie"})
        cls.unit = cls.env["crm.relationship.equipment"].create(
            {
                "partner_id": cls.customer.id,
                "product_id": cls.boiler.id,
                "lot_id": cls.lot.id,
                "category_id": cls.equipment_category.id,
            }
        )
        cls.rating_outcome = cls.env["crm.relationship.call.outcome"].create(
            {"name": "Risolto al telefono", "crm_request_rating": True}
        )
        cls.plain_outcome = cls.env["crm.relationship.call.outcome"].create({"name": "Informazioni date"})

    def _resolved_defect(self, **values):
        defect = self._create_defect(
            equipment_id=self.unit.id,
            category_id=self.noise.id,
            user_call_center_id=self.rel_user.id,
            **values,
        )
        defect.action_confirm()
        defect.write({"root_cause": "Ignition electrode worn", "corrective_action": "Electrode replaced"})
        defect.action_resolve()
        return defect

    def _request(self, record):
        return record.rating_ids.filtered(lambda rating: not rating.consumed)

    def _close_call(self, outcome, **values):
        call = self._create_call(
            self.customer, user=self.rel_user, contact_id=self.contact.id, equipment_id=self.unit.id, **values
        )
        call.with_user(self.rel_user).write(
            {"state": "done", "outcome_id": outcome.id, "no_followup_reason": "Solved on the phone"}
        )
        return call.with_env(self.env)


class TestSatisfactionRequest(SatisfactionCase):
    def test_resolving_asks_the_contact_in_its_language(self):
        defect = self._resolved_defect()
        request = self._request(defect)
        self.assertEqual(len(request), 1)
        self.assertEqual(request.partner_id, self.contact)
        self.assertEqual(request.rated_partner_id, self.rel_user.partner_id)
        self.assertTrue(defect.crm_rating_requested)
        mail = self.env["mail.mail"].search(
            [("recipient_ids", "in", self.contact.ids)], order="id desc", limit=1
        )
        self.assertIn(defect.name, mail.subject)
        self.assertIn("come abbiamo gestito", mail.subject)
        for rate in (5, 3, 1):
            self.assertIn(f"/crm_relationship/rating/{request.access_token}/{rate}", mail.body_html)
        self.assertNotIn("/rate/", mail.body_html)
        self.assertIn("Insoddisfatto", mail.body_html)
        # the request is an internal note: its recipients are the customer's contact only
        message = mail.mail_message_id
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_note"))
        self.assertEqual(message.partner_ids, self.contact)

    def test_no_address_no_request(self):
        self.contact.email = False
        defect = self._resolved_defect()
        self.assertFalse(defect.rating_ids)
        self.assertFalse(defect.crm_rating_requested)
        self.assertIn("no e-mail address", defect.message_ids[0].body)

    def test_call_outcome_asks_when_flagged(self):
        asked = self._close_call(self.rating_outcome)
        self.assertEqual(self._request(asked).partner_id, self.contact)
        self.assertEqual(self._request(asked).rated_partner_id, self.rel_user.partner_id)
        not_asked = self._close_call(self.plain_outcome)
        self.assertFalse(not_asked.rating_ids)
        # closing again (reopened and closed) does not ask twice
        asked.write({"state": "open"})
        asked.write({"state": "done"})
        self.assertEqual(len(asked.rating_ids), 1)


class TestSatisfactionAnswer(SatisfactionCase):
    def test_answer_is_given_once(self):
        defect = self._resolved_defect()
        request = self._request(defect)
        defect.rating_apply(5, token=request.access_token, feedback="Tecnico gentile e veloce")
        self.assertTrue(request.consumed)
        self.assertEqual(request.rating, 5)
        with self.assertRaisesRegex(UserError, "already answered"):
            defect.rating_apply(1, token=request.access_token, feedback="Changed my mind")
        with self.assertRaisesRegex(UserError, "already answered"):
            defect.rating_apply(1, rating=request)
        self.assertEqual(request.rating, 5)
        self.assertEqual(request.feedback, "Tecnico gentile e veloce")
        self.assertFalse(self.customer.activity_ids)

    def test_only_customers_answer(self):
        """An operator cannot answer for the customer, e.g. rate the own call over RPC."""
        call = self._close_call(self.rating_outcome)
        request = self._request(call)
        with self.assertRaisesRegex(AccessError, "given by the customers"):
            call.with_user(self.rel_user).rating_apply(5, token=request.access_token)
        self.assertFalse(request.consumed)

    def test_employees_cannot_forge_answers(self):
        """Odoo lets employees write ratings; not the customers' answers to the add-on's requests."""
        call = self._close_call(self.rating_outcome)
        request = self._request(call)
        Rating = self.env["rating.rating"]
        for user in (self.rel_user, self.rel_manager):
            with self.subTest(user=user.login):
                with self.assertRaisesRegex(AccessError, "customers' own"):
                    request.with_user(user).write({"rating": 5, "consumed": True})
                with self.assertRaisesRegex(AccessError, "customers' own"):
                    request.with_user(user).unlink()
                with self.assertRaisesRegex(AccessError, "customers' own"):
                    Rating.with_user(user).create(
                        {
                            "res_model_id": self.env["ir.model"]._get_id(call._name),
                            "res_id": call.id,
                            "partner_id": self.contact.id,
                            "rating": 5,
                            "consumed": True,
                        }
                    )
        self.assertFalse(request.consumed)
        self.assertEqual(len(call.rating_ids), 1)
        # ratings of Odoo's other documents keep Odoo's rules
        other = Rating.with_user(self.rel_manager).create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": self.customer.id,
                "partner_id": self.contact.id,
            }
        )
        other.write({"rating": 3})
        self.assertEqual(other.rating, 3)

    def test_only_proposed_answers(self):
        defect = self._resolved_defect()
        with self.assertRaisesRegex(UserError, "not one of those proposed"):
            defect.rating_apply(4, rating=self._request(defect))
        self.assertFalse(self._request(defect).consumed)

    def test_unhappy_answer_plans_the_call_back(self):
        defect = self._resolved_defect()
        rating = defect.rating_apply(1, rating=self._request(defect), feedback="Ancora rumorosa")
        self.assertFalse(defect.activity_ids)
        activity = self.customer.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.rel_user, "the report's call-center responsible")
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertEqual(activity.date_deadline, fields.Date.context_today(defect))
        self.assertIn(defect.name, activity.summary)
        self.assertIn("Ancora rumorosa", activity.note)
        self.assertEqual(rating.rating, 1)
        # the answer is in the report's chatter, by the contact
        self.assertEqual(defect.message_ids[0].author_id, self.contact)
        # it is the customer's next planned action
        self.assertEqual(self.customer.crm_next_activity_id, activity)

    def test_unhappy_call_goes_to_the_company_call_center(self):
        call = self._close_call(self.rating_outcome)
        call.rating_apply(1, rating=self._request(call))
        activity = self.customer.activity_ids.filtered(lambda a: call.subject in a.summary)
        self.assertEqual(activity.user_id, self.call_center_user)


class TestSatisfactionFigures(SatisfactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rel_manager.company_ids = [Command.link(cls.company.id)]

    def _answer(self, record, rate, days_ago=0, feedback=None):
        rating = self._request(record)
        record.rating_apply(rate, rating=rating, feedback=feedback)
        if days_ago:
            rating.rated_on = fields.Datetime.now() - timedelta(days=days_ago)
        return rating

    def _card(self, user, companies=None):
        companies = companies or self.company
        self.env.invalidate_all()
        return self.customer.with_user(user).with_context(allowed_company_ids=companies.ids)

    def test_card_figures_and_alert(self):
        self._answer(self._resolved_defect(), 5, days_ago=40)
        unhappy = self._resolved_defect()
        self._answer(unhappy, 1, days_ago=2)
        self._resolved_defect()  # asked, not answered
        card = self._card(self.rel_user)
        self.assertEqual(card.crm_rating_request_count, 3)
        self.assertEqual(card.crm_rating_count, 2)
        self.assertAlmostEqual(card.crm_rating_avg, 3.0)
        self.assertEqual(card.crm_rating_response_rate, 67)
        self.assertEqual(card.crm_rating_last_text, "ko")
        self.assertEqual(card.crm_rating_last_document, unhappy.name)
        self.assertIn("Unhappy customer: answered 'Unhappy' on", card.crm_alert_message)
        self.assertIn(unhappy.name, card.crm_alert_message)
        # the contacts show their company's figures
        self.assertEqual(self.contact.with_user(self.rel_user).crm_rating_count, 2)

    def test_better_answer_or_time_clears_the_alert(self):
        self._answer(self._resolved_defect(), 1, days_ago=100)
        self.assertEqual(self._card(self.rel_user).crm_rating_last_text, "ko")
        self.assertNotIn("Unhappy customer", self._card(self.rel_user).crm_alert_message or "")
        self._answer(self._resolved_defect(), 1, days_ago=10)
        self.assertIn("Unhappy customer", self._card(self.rel_user).crm_alert_message)
        self._answer(self._resolved_defect(), 5)
        card = self._card(self.rel_user)
        self.assertEqual(card.crm_rating_last_text, "top")
        self.assertNotIn("Unhappy customer", card.crm_alert_message or "")

    def test_older_requests_and_other_companies_do_not_count(self):
        old = self._resolved_defect()
        self._answer(old, 1)
        self.env.cr.execute(
            "UPDATE rating_rating SET create_date = now() - interval '400 days' WHERE id IN %s",
            [tuple(old.rating_ids.ids)],
        )
        self.env.invalidate_all()
        card = self._card(self.rel_user)
        self.assertEqual(card.crm_rating_request_count, 0)
        self.assertEqual(card.crm_rating_avg, 0.0)
        other = self.env["res.company"].create({"name": "Termotecnica Sud"})
        self.rel_user.company_ids = [Command.link(other.id)]
        self._answer(self._resolved_defect(), 5)
        self.assertEqual(self._card(self.rel_user, other).crm_rating_request_count, 0)
        self.assertEqual(self._card(self.rel_user, other).crm_rating_last_text, "none")

    def test_analysis_per_department_operator_product_category_model(self):
        self._answer(self._resolved_defect(), 5)
        self._answer(self._resolved_defect(), 1)
        self._resolved_defect()
        self._answer(self._close_call(self.rating_outcome, department="sales"), 3)
        Report = self.env["crm.relationship.satisfaction.report"].with_user(self.rel_manager)
        Report = Report.with_context(allowed_company_ids=self.company.ids)
        domain = [("partner_id", "=", self.customer.id)]
        measures = [
            "request_count:sum",
            "answer_count:sum",
            "rating:avg",
            "response_rate:avg",
            "satisfaction_rate:avg",
        ]
        by_department = {dep: rest for dep, *rest in Report._read_group(domain, ["department"], measures)}
        self.assertEqual(by_department["production"], [3, 2, 3.0, 200 / 3, 50.0])
        self.assertEqual(by_department["sales"], [1, 1, 3.0, 100.0, 0.0])
        by_operator = {user: rest for user, *rest in Report._read_group(domain, ["user_id"], measures)}
        self.assertEqual(by_operator[self.rel_user][:2], [4, 3])
        by_model = {tmpl: rest for tmpl, *rest in Report._read_group(domain, ["product_tmpl_id"], measures)}
        self.assertEqual(by_model[self.boiler.product_tmpl_id][:3], [4, 3, 3.0])
        by_category = dict(Report._read_group(domain, ["defect_category_id"], ["request_count:sum"]))
        self.assertEqual(by_category[self.noise], 3)
        by_unit_category = dict(Report._read_group(domain, ["equipment_category_id"], ["answer_count:sum"]))
        self.assertEqual(by_unit_category[self.equipment_category], 3)
        rows = Report.search(domain + [("unhappy_count", "=", 1)])
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows.contact_id, self.contact)

    def test_analysis_is_for_managers(self):
        self._answer(self._resolved_defect(), 5)
        action = self.customer.with_user(self.rel_manager).action_view_crm_satisfaction()
        rows = self.env[action["res_model"]].with_user(self.rel_manager).search(action["domain"])
        self.assertEqual(rows.mapped("rating"), [5.0])
        with self.assertRaises(AccessError):
            self.customer.with_user(self.rel_user).action_view_crm_satisfaction()
        Report = self.env["crm.relationship.satisfaction.report"]
        with self.assertRaises(AccessError):
            Report.with_user(self.rel_user).search([])
        portal = new_test_user(self.env, login="sat_portal", groups="base.group_portal")
        with self.assertRaises(AccessError):
            Report.with_user(portal).search([])
        with self.assertRaises(AccessError):
            self.env["rating.rating"].with_user(portal).search([])


@tagged("post_install", "-at_install")
class TestUnhappyCustomerRule(SatisfactionCase):
    def test_rule_fires_once_per_unhappy_answers(self):
        rule = self.env.ref("crm_relationship_portal.crm_relationship_event_rule_unhappy")
        rule.company_id = self.company
        self.assertTrue(rule.active)
        self.assertEqual(rule.rating_count, 2)
        first = self._resolved_defect()
        first.rating_apply(1, rating=self._request(first))
        self.assertFalse(rule._evaluate())
        second = self._resolved_defect()
        second.rating_apply(1, rating=self._request(second))
        logs = rule._evaluate()
        self.assertEqual(logs.partner_id, self.customer)
        self.assertEqual(logs.value, 2)
        self.assertEqual(logs.activity_id.user_id, self.salesperson)
        self.assertIn("2 unhappy answers", logs.description)
        self.assertFalse(rule._evaluate(), "the same answers never fire twice")
        third = self._resolved_defect()
        third.rating_apply(1, rating=self._request(third))
        self.assertFalse(rule._evaluate(), "one new unhappy answer is not two")


class TestSatisfactionTemplates(SatisfactionCase):
    def test_checking_a_template_asks_nobody(self):
        """Odoo renders a template on a record when it is saved: that asks no customer."""
        self._create_defect()
        requests = self.env["rating.rating"].search([])
        for xmlid in (
            "crm_relationship_portal.crm_relationship_defect_mail_template_rating",
            "crm_relationship_portal.crm_relationship_call_mail_template_rating",
        ):
            template = self.env.ref(xmlid)
            template.write({"subject": template.subject + " "})
            preview = template._render_field("body_html", self.env[template.model].search([], limit=1).ids)
            self.assertIn("/crm_relationship/rating/preview/5", next(iter(preview.values())))
        self.assertEqual(self.env["rating.rating"].search([]), requests)
