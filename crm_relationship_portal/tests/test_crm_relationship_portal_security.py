import re

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import EXE_HEADER, INTERNAL_NOTE, PNG_1PX, ROOT_CAUSE, STAFF_MESSAGE, CrmPortalCase

EQUIPMENT = "crm.relationship.equipment"
DEFECT = "crm.relationship.defect"


@tagged("post_install", "-at_install")
class TestPortalSecurity(CrmPortalCase):
    """A customer reaches nothing of another customer: lists, pages, forms and downloads answer
    as if the records did not exist; portal users have no access to the models themselves."""

    def _missing_ids(self):
        """Ids of a unit, a report and an attachment that do not exist."""
        return tuple(
            self.env[model].search([], order="id desc", limit=1).id + 1000
            for model in (EQUIPMENT, DEFECT, "ir.attachment")
        )

    def test_lists_show_only_the_customers_records(self):
        self._login(self.portal_user_b)
        equipment = self._get("/my/equipment").text
        self.assertIn("SN-B-0001", equipment)
        for serial in ("SN-A-0001", "SN-A-0002", "SN-A-0003"):
            self.assertNotIn(serial, equipment)
        requests = self._get("/my/requests").text
        self.assertIn(self.defect_b.name, requests)
        self.assertNotIn(self.defect_a.name, requests)
        self.assertNotIn(self.past_defect_a.name, requests)
        form = self._get("/my/requests/new").text
        self.assertNotIn("SN-A-0001", form)
        self.assertNotIn(f'<option value="{self.pump.id}">', form, "A's products are not B's")
        for text in (equipment, requests, form):
            self.assertNotIn(self.customer_a.name, text)

    def test_pages_of_another_customer_are_not_found(self):
        self._login(self.portal_user_b)
        missing_unit, missing_defect, missing_attachment = self._missing_ids()
        for url in (
            f"/my/equipment/{self.unit_a.id}",
            f"/my/equipment/{self.component_a.id}",
            f"/my/requests/{self.defect_a.id}",
            f"/my/requests/{self.past_defect_a.id}",
            f"/my/requests/new?equipment_id={self.unit_a.id}",
            f"/my/requests/attachment/{self.attachment_a.id}",
            f"/my/equipment/{missing_unit}",
            f"/my/requests/{missing_defect}",
            f"/my/requests/attachment/{missing_attachment}",
            "/my/requests/new?equipment_id=abc",
        ):
            with self.subTest(url=url):
                response = self._get(url)
                self.assertEqual(response.status_code, 404)
                self.assertNotIn(self.customer_a.name, response.text)
                self.assertNotIn("SN-A-0001", response.text)
        # the customer's own records open
        self.assertEqual(self._get(f"/my/equipment/{self.unit_b.id}").status_code, 200)
        self.assertEqual(self._get(f"/my/requests/{self.defect_b.id}").status_code, 200)
        self.assertEqual(self._get(f"/my/requests/attachment/{self.attachment_b.id}").status_code, 200)

    def test_not_found_is_the_same_for_foreign_and_missing_ids(self):
        self._login(self.portal_user_b)
        missing_unit, missing_defect, missing_attachment = self._missing_ids()
        for foreign_url, missing_url in (
            (f"/my/requests/{self.defect_a.id}", f"/my/requests/{missing_defect}"),
            (f"/my/equipment/{self.unit_a.id}", f"/my/equipment/{missing_unit}"),
            (
                f"/my/requests/attachment/{self.attachment_a.id}",
                f"/my/requests/attachment/{missing_attachment}",
            ),
        ):
            foreign, missing = self._get(foreign_url), self._get(missing_url)
            self.assertEqual(foreign.status_code, missing.status_code)
            self.assertEqual(
                self._normalize(foreign.text, foreign_url), self._normalize(missing.text, missing_url)
            )

    def _normalize(self, html, url):
        """The page without its URL and its form token, which change with every request."""
        return re.sub(r"[0-9a-f]{40}o\d+", "TOKEN", html.replace(url, "URL"))

    def test_attachments_only_of_customer_messages(self):
        self._login(self.portal_user_a)
        self.assertEqual(self._get(f"/my/requests/attachment/{self.attachment_a.id}").status_code, 200)
        # the file of an internal note of the customer's own request
        self.assertEqual(self._get(f"/my/requests/attachment/{self.note_attachment_a.id}").status_code, 404)
        # any other file of the database
        other = self.env["ir.attachment"].create({"name": "listino.pdf", "raw": b"%PDF-1.4 prezzi"})
        self.assertEqual(self._get(f"/my/requests/attachment/{other.id}").status_code, 404)
        # Odoo's own download route refuses the portal user too
        self.assertNotEqual(self._get(f"/web/content/{self.note_attachment_a.id}").status_code, 200)

    def test_forged_posts_write_nothing(self):
        self._login(self.portal_user_b)
        defects_before = self.env[DEFECT].search_count([])
        messages_before = len(self.defect_a.message_ids)
        attachments_before = self.env["ir.attachment"].search_count([])

        response = self._report(files=[("foto.png", PNG_1PX, "image/png")], equipment_id=self.unit_a.id)
        self.assertEqual(response.status_code, 404, "A's unit in B's report")
        response = self._report(product_id=self.pump.id)
        self.assertEqual(response.status_code, 404, "a product B never received")
        response = self._post(
            f"/my/requests/{self.defect_a.id}/reply",
            {"message": "Messaggio falsificato"},
            files=[("foto.png", PNG_1PX, "image/png")],
        )
        self.assertEqual(response.status_code, 404, "a reply on A's request")

        self.env.invalidate_all()
        self.assertEqual(self.env[DEFECT].search_count([]), defects_before)
        self.assertEqual(len(self.defect_a.message_ids), messages_before)
        self.assertEqual(self.env["ir.attachment"].search_count([]), attachments_before)

    def test_refused_files_are_not_saved(self):
        self._login(self.portal_user_b)
        attachments_before = self.env["ir.attachment"].search_count([])
        response = self._report(
            files=[("foto.png", PNG_1PX, "image/png"), ("setup.exe", EXE_HEADER, "application/x-msdownload")],
            equipment_id=self.unit_b.id,
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("setup.exe cannot be attached", response.text)
        self.assertFalse(self._portal_defects(self.customer_b))
        self.assertEqual(self.env["ir.attachment"].search_count([]), attachments_before)

    def test_csrf_token_required(self):
        self._login(self.portal_user_b)
        response = self.url_open(
            "/my/requests/new",
            data={"equipment_id": self.unit_b.id, "description": "Senza token"},
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self._portal_defects(self.customer_b))

    def test_pages_need_a_portal_user(self):
        self.authenticate(None, None)
        response = self._get("/my/equipment")
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])
        self._login(self.internal_user)
        for url in ("/my/equipment", "/my/requests", "/my/requests/new", f"/my/requests/{self.defect_a.id}"):
            with self.subTest(url=url):
                self.assertEqual(self._get(url).status_code, 404)

    def test_odoo_chatter_routes_refuse_portal_users(self):
        """Odoo's own chatter routes show portal users no internal message of the reports and
        take none of theirs."""
        self._login(self.portal_user_a)
        messages_before = len(self.defect_a.message_ids)
        fetched = self.url_open(
            "/mail/thread/messages",
            json={"params": {"thread_model": DEFECT, "thread_id": self.defect_a.id}},
        )
        # Odoo lets a partner read the messages it wrote or was sent, nothing else of the report
        self.assertEqual(fetched.status_code, 200)
        for text in (INTERNAL_NOTE, STAFF_MESSAGE, "nota-interna.pdf", ROOT_CAUSE):
            self.assertNotIn(text, fetched.text)
        posted = self.url_open(
            "/mail/message/post",
            json={
                "params": {
                    "thread_model": DEFECT,
                    "thread_id": self.defect_a.id,
                    "post_data": {"body": "Messaggio dal chatter", "message_type": "comment"},
                }
            },
        )
        self.assertIn("error", posted.json())
        self.defect_a.invalidate_recordset()
        self.assertEqual(len(self.defect_a.message_ids), messages_before)

    def test_no_access_to_the_models(self):
        for user in (self.portal_user_a, self.internal_user):
            for model, record in ((EQUIPMENT, self.unit_a), (DEFECT, self.defect_a)):
                with self.subTest(user=user.login, model=model):
                    Model = self.env[model].with_user(user)
                    with self.assertRaises(AccessError):
                        Model.search_read([], ["name"])
                    with self.assertRaises(AccessError):
                        Model.browse(record.id).read(["name"])
                    with self.assertRaises(AccessError):
                        Model.search([])
                    with self.assertRaises(AccessError):
                        Model.browse(record.id).message_post(body="Tentativo")
