import re

from odoo.tests import HttpCase, tagged

from .test_crm_relationship_satisfaction import SatisfactionCase


@tagged("post_install", "-at_install")
class TestSatisfactionPage(SatisfactionCase, HttpCase):
    """The customer's answer through the rating page, as a browser and a mail scanner would open it."""

    def setUp(self):
        super().setUp()
        self.defect = self._resolved_defect()
        self.request = self._request(self.defect)
        self.token = self.request.access_token
        self.page = f"/crm_relationship/rating/{self.token}"

    def _csrf_token(self, response):
        match = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
        self.assertTrue(match, "the rating page has a form with Odoo's CSRF token")
        return match.group(1)

    def _post(self, csrf_token, **data):
        return self.url_open(
            f"{self.page}/submit", data=dict(data, csrf_token=csrf_token), allow_redirects=False
        )

    def _assert_unanswered(self):
        self.request.invalidate_recordset()
        self.assertFalse(self.request.consumed)
        self.assertEqual(self.request.rating, 0)
        self.assertFalse(self.customer.activity_ids)

    def test_opening_the_links_saves_nothing(self):
        for rate in (5, 3, 1):
            response = self.url_open(f"{self.page}/{rate}")
            self.assertEqual(response.status_code, 200)
            self.assertIn(f'id="crm_rate_{rate}" value="{rate}" checked', response.text)
            self.assertIn(self.defect.name, response.text)
            self.assertEqual(response.headers["Cache-Control"], "no-store")
            self.assertIn("noindex", response.headers["X-Robots-Tag"])
            head = self.opener.head(self.base_url() + f"{self.page}/{rate}", timeout=30)
            self.assertEqual(head.status_code, 200)
        # the page speaks the contact's language
        self.assertIn("Invia la risposta", self.url_open(self.page).text)
        self._assert_unanswered()

    def test_odoo_rating_link_leads_to_the_page(self):
        response = self.url_open(f"/rate/{self.token}/1", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith(f"{self.page}/1"))
        self._assert_unanswered()

    def test_answer_saved_on_post_once(self):
        csrf_token = self._csrf_token(self.url_open(f"{self.page}/1"))
        response = self._post(csrf_token, rate="1", feedback="La caldaia è ancora rumorosa")
        self.assertEqual(response.status_code, 200)
        self.request.invalidate_recordset()
        self.assertTrue(self.request.consumed)
        self.assertEqual(self.request.rating, 1)
        self.assertEqual(self.request.feedback, "La caldaia è ancora rumorosa")
        activity = self.customer.activity_ids
        self.assertEqual(
            activity.user_id, self.rel_user, "the unhappy answer's call-back, in the same request"
        )
        # a second submission, on the page or through Odoo's own route, changes nothing
        response = self._post(csrf_token, rate="5", feedback="Tutto bene")
        self.assertEqual(response.status_code, 409)
        self.assertIn("ancora rumorosa", response.text)
        response = self.url_open(
            f"/rate/{self.token}/submit_feedback",
            data={"rate": "5", "feedback": "Tutto bene", "csrf_token": csrf_token},
            allow_redirects=False,
        )
        self.assertNotEqual(response.status_code, 200)
        self.request.invalidate_recordset()
        self.assertEqual(self.request.rating, 1)
        self.assertEqual(self.request.feedback, "La caldaia è ancora rumorosa")
        self.assertEqual(len(self.customer.activity_ids), 1)
        # opening the page again shows the answer given
        self.assertIn("ancora rumorosa", self.url_open(f"{self.page}/5").text)

    def test_refused_submissions_save_nothing(self):
        csrf_token = self._csrf_token(self.url_open(self.page))
        response = self.url_open(f"{self.page}/submit", data={"rate": "1"}, allow_redirects=False)
        self.assertEqual(response.status_code, 400, "no CSRF token: a forged cross-site form")
        response = self._post(csrf_token, rate="4")
        self.assertEqual(response.status_code, 400)
        self.assertIn('class="alert alert-danger"', response.text)
        response = self.url_open(f"{self.page}/submit", allow_redirects=False)
        self.assertIn(response.status_code, (400, 405))
        self._assert_unanswered()

    def test_unknown_token_not_found(self):
        for url in ("/crm_relationship/rating/not-a-token", "/crm_relationship/rating/not-a-token/5"):
            self.assertEqual(self.url_open(url).status_code, 404)
        other = self.env["rating.rating"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": self.customer.id,
                "partner_id": self.contact.id,
            }
        )
        self.assertEqual(self.url_open(f"/crm_relationship/rating/{other.access_token}").status_code, 404)
