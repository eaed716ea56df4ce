from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestCrmRelationshipPortalDemo(HttpCase):
    """The demo: Giulia of Rossi Impianti on the portal, and the customers' answers on the cards."""

    def test_demo_portal_user_sees_her_company_request(self):
        user = self.env.ref("crm_relationship_portal.res_users_rossi_giulia_demo")
        self.assertTrue(user._is_portal())
        self.assertEqual(
            user.partner_id.commercial_partner_id, self.env.ref("crm_relationship.res_partner_rossi_demo")
        )
        request = self.env.ref("crm_relationship_portal.crm_relationship_defect_portal_demo")
        self.assertEqual((request.report_origin, request.state), ("portal", "new"))
        self.authenticate("giulia", "giulia")
        page = self.url_open(f"/my/requests/{request.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("errore E04", page.text)
        self.assertIn("sensore di temperatura", page.text)
        self.assertIn("CX24-2026-0001", self.url_open("/my/equipment").text)

    def test_demo_satisfaction_on_the_cards(self):
        rossi = self.env.ref("crm_relationship.res_partner_rossi_demo")
        ferraro = self.env.ref("crm_relationship.res_partner_ferraro_demo")
        manager = self.env.ref("base.user_admin")
        companies = self.env["res.company"].search([]).ids
        rossi = rossi.with_user(manager).with_context(allowed_company_ids=companies)
        ferraro = ferraro.with_user(manager).with_context(allowed_company_ids=companies)
        self.assertEqual(rossi.crm_rating_last_text, "ko")
        self.assertIn("Unhappy customer", rossi.crm_alert_message)
        self.assertIn("Caldaia in blocco", rossi.crm_next_activity_id.summary)
        self.assertEqual(ferraro.crm_rating_last_text, "top")
        self.assertEqual((ferraro.crm_rating_count, ferraro.crm_rating_request_count), (1, 2))
