from unittest.mock import patch

from odoo.tests import Form, tagged

from odoo.addons.portal.controllers.portal import CustomerPortal

from .common import (
    CUSTOMER_MESSAGE_A,
    CUSTOMER_REPLY_A,
    EQUIPMENT_NOTE,
    EXE_HEADER,
    INTERNAL_NOTE,
    PDF_SMALL,
    PNG_1PX,
    ROOT_CAUSE,
    SEGMENT_NAME,
    STAFF_MESSAGE,
    CrmPortalCase,
)

CUSTOMER_SUBTYPE = "crm_relationship_portal.crm_relationship_defect_mt_customer"


@tagged("post_install", "-at_install")
class TestPortalPages(CrmPortalCase):
    """What a customer sees and does on its portal pages."""

    def _assert_private_data_absent(self, html):
        for text in (
            INTERNAL_NOTE,
            STAFF_MESSAGE,
            ROOT_CAUSE,
            EQUIPMENT_NOTE,
            SEGMENT_NAME,
            self.customer_b.name,
            self.call_center_user.email,
            self.production_user.name,
        ):
            self.assertNotIn(text, html)

    def test_home_counters(self):
        self._login(self.portal_user_a)
        home = self._get("/my")
        self.assertEqual(home.status_code, 200)
        self.assertIn('href="/my/equipment"', home.text)
        self.assertIn('href="/my/requests"', home.text)
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["crm_equipment_count", "crm_request_count"]}
        )
        self.assertEqual(counters, {"crm_equipment_count": 3, "crm_request_count": 2})
        self._login(self.internal_user)
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["crm_equipment_count", "crm_request_count"]}
        )
        self.assertEqual(counters, {"crm_equipment_count": 0, "crm_request_count": 0})

    def test_equipment_list_search_sort_pager(self):
        self._login(self.portal_user_a)
        page = self._get("/my/equipment")
        self.assertEqual(page.status_code, 200)
        for serial in ("SN-A-0001", "SN-A-0002", "SN-A-0003"):
            self.assertIn(serial, page.text)
        self.assertNotIn("SN-B-0001", page.text)
        self._assert_private_data_absent(page.text)
        self.assertIn("Under warranty until", page.text)
        self.assertIn("Warranty expired on", page.text)

        by_serial = self._get("/my/equipment?search=A-0003&search_in=serial").text
        self.assertIn("SN-A-0003", by_serial)
        self.assertNotIn("SN-A-0001", by_serial)
        by_product = self._get("/my/equipment?search=Pompa&search_in=product").text
        self.assertIn("SN-A-0002", by_product)
        self.assertNotIn("SN-A-0001", by_product)
        self.assertNotIn("SN-B-0001", self._get("/my/equipment?search=SN-B").text)

        sorted_page = self._get("/my/equipment?sortby=serial").text
        positions = [sorted_page.index(f"SN-A-000{n}</a>") for n in (1, 2, 3)]
        self.assertEqual(positions, sorted(positions), "sorted by serial number")

        with patch.object(CustomerPortal, "_items_per_page", 2):
            first = self._get("/my/equipment?sortby=serial").text
            second = self._get("/my/equipment/page/2?sortby=serial").text
        self.assertIn("SN-A-0001", first)
        self.assertNotIn("SN-A-0003", first)
        self.assertIn("/my/equipment/page/2", first)
        self.assertIn("SN-A-0003", second)
        self.assertNotIn("SN-A-0001", second)

    def test_equipment_page(self):
        self._login(self.portal_user_a)
        page = self._get(f"/my/equipment/{self.unit_a.id}")
        self.assertEqual(page.status_code, 200)
        html = page.text
        for text in (
            self.boiler.name,
            "SN-A-0001",
            self.site_a.name,
            "Via Borgo Palazzo 88",
            "Under warranty until",
            "In Service",
            "SN-A-0002",  # the component
            self.defect_a.name,  # its open request
            f"/my/requests/new?equipment_id={self.unit_a.id}",
        ):
            self.assertIn(text, html)
        self.assertNotIn(self.past_defect_a.name, html, "the request of another unit")
        self._assert_private_data_absent(html)

        old = self._get(f"/my/equipment/{self.old_unit_a.id}").text
        self.assertIn("Warranty expired on", old)
        self.assertIn("Past Requests", old)
        self.assertIn(self.past_defect_a.name, old)
        self.assertIn("No open request for this unit.", old)

    def test_requests_list_and_page(self):
        self._login(self.portal_user_a)
        page = self._get("/my/requests")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.defect_a.name, page.text)
        self.assertIn(self.past_defect_a.name, page.text)
        self.assertNotIn(self.defect_b.name, page.text)
        open_only = self._get("/my/requests?filterby=open").text
        self.assertIn(self.defect_a.name, open_only)
        self.assertNotIn(self.past_defect_a.name, open_only)

        html = self._get(f"/my/requests/{self.defect_a.id}").text
        for text in (
            self.defect_a.name,
            self.boiler.name,
            "SN-A-0001",
            "La caldaia A perde acqua",
            CUSTOMER_MESSAGE_A,
            CUSTOMER_REPLY_A,
            f"/my/requests/attachment/{self.attachment_a.id}",
            "intervento-a.pdf",
        ):
            self.assertIn(text, html)
        self.assertNotIn("nota-interna.pdf", html)
        self.assertNotIn(f"/my/requests/attachment/{self.note_attachment_a.id}", html)
        self._assert_private_data_absent(html)

        closed = self._get(f"/my/requests/{self.past_defect_a.id}").text
        self.assertIn("Resolved On", closed)
        self.assertIn("Closed On", closed)

    def test_attachment_download(self):
        self._login(self.portal_user_a)
        response = self._get(f"/my/requests/attachment/{self.attachment_a.id}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, PDF_SMALL)
        self.assertIn("attachment", response.headers["Content-Disposition"])

    def test_report_form(self):
        self._login(self.portal_user_a)
        page = self._get(f"/my/requests/new?equipment_id={self.unit_a.id}")
        self.assertEqual(page.status_code, 200)
        self.assertRegex(page.text, rf'<option value="{self.unit_a.id}" selected="[^"]+">')
        self.assertIn(f'<option value="{self.pump.id}">', page.text, "the products of its units")
        self.assertNotIn(f'<option value="{self.valve.id}">', page.text)
        self.assertNotIn("SN-B-0001", page.text)
        self.assertIn('accept=".jpg,.jpeg,.png,.webp,.heic,.pdf"', page.text)

    def test_report_problem(self):
        self._login(self.portal_user_a)
        with self.mock_mail_gateway():
            response = self._report(files=[("guasto.png", PNG_1PX, "image/png")], equipment_id=self.unit_a.id)
        defect = self._portal_defects(self.customer_a)
        self.assertEqual(len(defect), 1)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith(f"/my/requests/{defect.id}?report_sent=1"))
        self.assertRecordValues(
            defect,
            [
                {
                    "state": "new",
                    "report_origin": "portal",
                    "preferred_channel": "phone",
                    "partner_id": self.customer_a.id,
                    "contact_id": self.contact_a.id,
                    "equipment_id": self.unit_a.id,
                    "product_id": self.boiler.id,
                    "lot_id": self.unit_a.lot_id.id,
                    "company_id": self.unit_a.company_id.id,
                    "user_call_center_id": self.call_center_user.id,
                    "user_production_id": self.production_user.id,
                }
            ],
        )
        self.assertIn("La caldaia fa un rumore forte", defect.description)
        self.assertIn(self.call_center_user.partner_id, defect.message_partner_ids)
        self.assertNotIn(self.contact_a, defect.message_partner_ids, "the thread stays internal")
        self.assertRecordValues(
            defect.activity_ids,
            [{"user_id": self.call_center_user.id, "summary": "Confirm the report made on the portal"}],
        )
        photo_message = defect.message_ids.filtered("attachment_ids")
        self.assertEqual(photo_message.author_id, self.contact_a)
        self.assertEqual(photo_message.subtype_id, self.env.ref(CUSTOMER_SUBTYPE))
        self.assertEqual(photo_message.attachment_ids.mapped("name"), ["guasto.png"])
        self.assertEqual(photo_message.attachment_ids.raw, PNG_1PX)

        mails = self.env["mail.mail"].search([("model", "=", defect._name), ("res_id", "=", defect.id)])
        confirmation = mails.filtered(lambda mail: self.contact_a in mail.recipient_ids)
        self.assertEqual(len(confirmation), 1, "one confirmation e-mail to the customer")
        self.assertEqual(confirmation.subject, f"{self.company.name}: we received your report {defect.name}")
        self.assertEqual(confirmation.state, "outgoing")
        self.assertIn(f"/my/requests/{defect.id}", confirmation.body_html)
        template = self.env.ref(
            "crm_relationship_portal.crm_relationship_defect_mail_template_portal_received"
        )
        self.contact_a.lang = "it_IT"
        self.assertEqual(template._render_lang(defect.ids)[defect.id], "it_IT", "in the contact's language")

        page = self._get(response.headers["Location"]).text
        self.assertIn("your report was sent", page)
        self.assertIn("guasto.png", page)

    def test_report_product_without_serial(self):
        self._login(self.portal_user_a)
        response = self._report(product_id=self.pump.id, preferred_channel="email")
        self.assertEqual(response.status_code, 303)
        defect = self._portal_defects(self.customer_a)
        self.assertRecordValues(
            defect,
            [
                {
                    "equipment_id": False,
                    "product_id": self.pump.id,
                    "lot_id": False,
                    "preferred_channel": "email",
                    "company_id": self.env.company.id,
                }
            ],
        )

    def test_report_refusals(self):
        self._login(self.portal_user_a)
        attachments_before = self.env["ir.attachment"].search_count([])
        cases = [
            (
                [("setup.exe", EXE_HEADER, "application/octet-stream")],
                "only these types of files are accepted",
            ),
            ([("grande.png", PNG_1PX + b"\0" * (50 * 1024 * 1024), "image/png")], "larger than 10 MB"),
            ([("foto.png", EXE_HEADER, "image/png")], "its content is not a png file"),
            ([(f"foto{n}.png", PNG_1PX, "image/png") for n in range(6)], "You can attach at most 5 files."),
        ]
        for files, message in cases:
            with self.subTest(message=message):
                response = self._report(files=files, equipment_id=self.unit_a.id)
                self.assertEqual(response.status_code, 400)
                self.assertIn(message, response.text)
                self.assertIn("o_crm_portal_error", response.text)
                self.assertIn("La caldaia fa un rumore forte", response.text, "the form keeps what was typed")
        response = self._report(equipment_id=self.unit_a.id, description="  ")
        self.assertEqual(response.status_code, 400)
        self.assertIn("Describe the problem.", response.text)
        response = self._report()
        self.assertIn("Choose the unit or the product the problem is about.", response.text)
        self.assertFalse(self._portal_defects(self.customer_a), "nothing was saved")
        self.assertEqual(self.env["ir.attachment"].search_count([]), attachments_before)

    def test_report_limits_from_settings(self):
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.crm_portal_attachment_types, "jpg,jpeg,png,webp,heic,pdf")
        self.assertEqual(settings.crm_portal_attachment_max_size, 10)
        self.assertEqual(settings.crm_portal_attachment_max_count, 5)
        settings.write(
            {
                "crm_portal_attachment_types": "pdf",
                "crm_portal_attachment_max_size": 1,
                "crm_portal_attachment_max_count": 1,
            }
        )
        settings.execute()
        self._login(self.portal_user_a)
        response = self._report(files=[("foto.png", PNG_1PX, "image/png")], equipment_id=self.unit_a.id)
        self.assertIn("only these types of files are accepted: pdf.", response.text)
        response = self._report(
            files=[("scheda.pdf", PDF_SMALL + b"\0" * (1024 * 1024), "application/pdf")],
            equipment_id=self.unit_a.id,
        )
        self.assertIn("larger than 1 MB", response.text)
        self.assertFalse(self._portal_defects(self.customer_a))
        response = self._report(
            files=[("scheda.pdf", PDF_SMALL, "application/pdf")], equipment_id=self.unit_a.id
        )
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self._portal_defects(self.customer_a).message_ids.attachment_ids.name, "scheda.pdf")

    def test_heic_photo_accepted(self):
        heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 64
        self._login(self.portal_user_a)
        response = self._report(files=[("IMG_0001.HEIC", heic, "image/heic")], equipment_id=self.unit_a.id)
        self.assertEqual(response.status_code, 303)

    def test_staff_message_to_customer(self):
        action = self.defect_b.with_user(self.rel_user).action_crm_message_customer()
        self.assertEqual(action["res_model"], "mail.compose.message")
        composer = Form(
            self.env["mail.compose.message"].with_user(self.rel_user).with_context(**action["context"])
        )
        self.assertEqual(composer.subtype_id, self.env.ref(CUSTOMER_SUBTYPE))
        composer.body = "<p>Il ricambio arriva lunedì</p>"
        with self.mock_mail_gateway():
            composer.save().action_send_mail()
        message = self.defect_b.message_ids[0]
        self.assertEqual(message.subtype_id, self.env.ref(CUSTOMER_SUBTYPE))
        self.assertEqual(message.partner_ids, self.contact_b)
        mail = self._new_mails.filtered(lambda mail: self.contact_b in mail.recipient_ids)
        self.assertEqual(len(mail), 1, "the customer gets the message by e-mail")
        self.assertIn("Il ricambio arriva lunedì", mail.body_html)

        # a message posted from code with the subtype reaches the customer as well, a note never does
        with self.mock_mail_gateway():
            self.defect_b.with_user(self.rel_user).message_post(
                body="Confermiamo appuntamento", message_type="comment", subtype_xmlid=CUSTOMER_SUBTYPE
            )
            self.defect_b.with_user(self.rel_user).message_post(
                body=INTERNAL_NOTE, message_type="comment", subtype_xmlid="mail.mt_note"
            )
        self.assertEqual(len(self._new_mails.filtered(lambda mail: self.contact_b in mail.recipient_ids)), 1)

        self._login(self.portal_user_b)
        html = self._get(f"/my/requests/{self.defect_b.id}").text
        self.assertIn("Il ricambio arriva lunedì", html)
        self.assertIn("Confermiamo appuntamento", html)
        self.assertNotIn(INTERNAL_NOTE, html)

    def test_customer_reply(self):
        self._login(self.portal_user_a)
        token_url = f"/my/requests/{self.defect_a.id}"
        response = self._post(
            f"/my/requests/{self.defect_a.id}/reply",
            {"message": "Il rumore è tornato stamattina"},
            files=[("rumore.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 32, "image/jpeg")],
            token_url=token_url,
        )
        self.assertEqual(response.status_code, 303)
        message = self.defect_a.message_ids[0]
        self.assertIn("Il rumore è tornato stamattina", message.body)
        self.assertEqual(message.author_id, self.contact_a)
        self.assertEqual(message.subtype_id, self.env.ref(CUSTOMER_SUBTYPE))
        self.assertEqual(message.attachment_ids.name, "rumore.jpg")
        self.assertNotIn(self.contact_a, self.defect_a.message_partner_ids)
        # on the back end, the reply is in the report's chatter
        thread = self.env["crm.relationship.defect"].with_user(self.rel_user).browse(self.defect_a.id)
        self.assertIn(message, thread.message_ids)
        self.assertIn("Il rumore è tornato stamattina", self._get(token_url).text)

        messages_before = len(self.defect_a.message_ids)
        response = self._post(
            f"/my/requests/{self.defect_a.id}/reply",
            {"message": "Ecco il programma"},
            files=[("programma.exe", EXE_HEADER, "application/octet-stream")],
            token_url=token_url,
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("only these types of files are accepted", response.text)
        self.assertIn("Ecco il programma", response.text)
        response = self._post(f"/my/requests/{self.defect_a.id}/reply", {"message": " "}, token_url=token_url)
        self.assertIn("Write your message or attach a file.", response.text)
        self.defect_a.invalidate_recordset()
        self.assertEqual(len(self.defect_a.message_ids), messages_before, "nothing was posted")

    def test_backend_defect_form(self):
        form_arch = (
            self.env["crm.relationship.defect"].with_user(self.rel_user).get_view(view_type="form")["arch"]
        )
        for name in (
            "action_crm_message_customer",
            "report_origin",
            "preferred_channel",
            "rating_last_text",
            "rating_last_feedback",
        ):
            self.assertIn(f'name="{name}"', form_arch)
        search_arch = (
            self.env["crm.relationship.defect"].with_user(self.rel_user).get_view(view_type="search")["arch"]
        )
        self.assertIn("report_origin", search_arch)
        self.assertEqual(self.defect_a.report_origin, "staff", "reports made by staff by default")
        settings_arch = self.env["res.config.settings"].get_view(view_type="form")["arch"]
        for name in (
            "crm_portal_attachment_types",
            "crm_portal_attachment_max_size",
            "crm_portal_attachment_max_count",
        ):
            self.assertIn(f'name="{name}"', settings_arch)
