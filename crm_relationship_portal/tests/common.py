import base64
import re
from datetime import timedelta

from markupsafe import Markup

from odoo import fields
from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user

from odoo.addons.mail.tests.common import MailCase

# The smallest valid PNG picture (1x1 pixel).
PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PDF_SMALL = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# A Windows program's header.
EXE_HEADER = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64

# Texts that never reach the customer's pages.
INTERNAL_NOTE = "Nota interna: il cliente paga sempre in ritardo"
STAFF_MESSAGE = "Messaggio tra colleghi: chiedere il prezzo al fornitore"
ROOT_CAUSE = "Causa radice riservata: saldatura difettosa del lotto"
EQUIPMENT_NOTE = "Annotazione interna sull'impianto del cliente"
SEGMENT_NAME = "Segmento Campioni Riservato"
# Texts the customer sees.
CUSTOMER_MESSAGE_A = "Il tecnico passerà giovedì mattina"
CUSTOMER_REPLY_A = "Grazie, saremo presenti dalle 8"
CUSTOMER_MESSAGE_B = "Abbiamo ricevuto la vostra segnalazione B"


class CrmPortalCase(MailCase, HttpCase):
    """Two customers, A and B, each with a portal user, serial-numbered units and
    requests whose threads mix customer messages, internal notes and staff
    messages, with attachments."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, mail_create_nolog=True, tracking_disable=True))
        cls.env["res.lang"]._activate_lang("it_IT")
        cls.company = cls.env.company
        cls.company.email = "assistenza@company.example.com"
        cls.call_center_user = new_test_user(
            cls.env,
            login="portal_case_call_center",
            name="Carla Centralino",
            email="carla.callcenter@example.com",
            groups="crm_relationship.crm_relationship_group_user",
        )
        cls.production_user = new_test_user(
            cls.env,
            login="portal_case_production",
            name="Pietro Produzione",
            email="pietro.production@example.com",
            groups="crm_relationship.crm_relationship_group_user",
        )
        cls.rel_user = new_test_user(
            cls.env,
            login="portal_case_rel_user",
            name="Paola Operatrice",
            email="paola.operator@example.com",
            groups="crm_relationship.crm_relationship_group_user",
        )
        cls.internal_user = new_test_user(
            cls.env, login="portal_case_employee", name="Plain Employee", groups="base.group_user"
        )
        cls.company.write(
            {
                "crm_defect_production_user_id": cls.production_user.id,
                "crm_defect_call_center_user_ids": [Command.set(cls.call_center_user.ids)],
            }
        )
        cls.boiler = cls.env["product.product"].create(
            {
                "name": "Caldaia Portale CX24",
                "is_storable": True,
                "tracking": "serial",
                "crm_register_equipment": True,
                "crm_warranty_months": 24,
            }
        )
        cls.pump = cls.env["product.product"].create(
            {"name": "Pompa Portale HP9", "is_storable": True, "tracking": "serial"}
        )
        cls.valve = cls.env["product.product"].create({"name": "Valvola Portale V2", "is_storable": True})
        Partner = cls.env["res.partner"]
        italy = cls.env.ref("base.it")
        cls.customer_a = Partner.create(
            {
                "name": "Rossi Impianti Portale S.r.l.",
                "is_company": True,
                "country_id": italy.id,
                "city": "Milano",
                "street": "Via Mazzini 12",
            }
        )
        cls.customer_b = Partner.create(
            {"name": "Bianchi Forniture Portale S.p.A.", "is_company": True, "country_id": italy.id}
        )
        cls.site_a = Partner.create(
            {
                "name": "Cantiere Bergamo Portale",
                "type": "delivery",
                "parent_id": cls.customer_a.id,
                "street": "Via Borgo Palazzo 88",
                "city": "Bergamo",
            }
        )
        cls.portal_user_a = cls._create_portal_user(
            "portal_a", "Giulia Ferri", "giulia.ferri@rossi.example.com"
        )
        cls.portal_user_a.partner_id.parent_id = cls.customer_a
        cls.portal_user_b = cls._create_portal_user(
            "portal_b", "Luca Bianchi", "luca.bianchi@bianchi.example.com"
        )
        cls.portal_user_b.partner_id.parent_id = cls.customer_b
        cls.contact_a = cls.portal_user_a.partner_id
        cls.contact_b = cls.portal_user_b.partner_id
        segment = cls.env["crm.relationship.rfm.segment"].create({"name": SEGMENT_NAME})
        cls.customer_a.sudo().crm_segment_id = segment

        today = fields.Date.context_today(cls.env.user)
        cls.unit_a = cls._create_unit(
            cls.customer_a, cls.boiler, "SN-A-0001", today - timedelta(days=100), site=cls.site_a
        )
        cls.unit_a.note = Markup("<p>%s</p>") % EQUIPMENT_NOTE
        cls.component_a = cls._create_unit(
            cls.customer_a, cls.pump, "SN-A-0002", today - timedelta(days=100), parent=cls.unit_a
        )
        cls.old_unit_a = cls._create_unit(
            cls.customer_a, cls.boiler, "SN-A-0003", today - timedelta(days=1000)
        )
        cls.unit_b = cls._create_unit(cls.customer_b, cls.boiler, "SN-B-0001", today - timedelta(days=50))

        cls.defect_a = cls._create_defect(cls.unit_a, cls.contact_a, "La caldaia A perde acqua")
        cls.defect_a.root_cause = ROOT_CAUSE
        cls.past_defect_a = cls._create_defect(cls.old_unit_a, cls.contact_a, "Rumore all'accensione")
        cls.past_defect_a.sudo().write(
            {
                "state": "closed",
                "root_cause": "Cuscinetto",
                "corrective_action": "Sostituito",
                "date_resolved": fields.Datetime.now() - timedelta(days=20),
                "date_closed": fields.Datetime.now() - timedelta(days=10),
            }
        )
        cls.defect_b = cls._create_defect(cls.unit_b, cls.contact_b, "La caldaia B non si accende")

        cls.message_a = cls._post_staff_customer_message(cls.defect_a, CUSTOMER_MESSAGE_A, "intervento-a.pdf")
        cls.attachment_a = cls.message_a.attachment_ids
        cls.defect_a.with_user(cls.rel_user).message_post(
            body=INTERNAL_NOTE,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
            attachment_ids=cls._create_attachment(cls.defect_a, "nota-interna.pdf").ids,
        )
        cls.note_attachment_a = cls.defect_a.message_ids.filtered(
            lambda message: INTERNAL_NOTE in message.body
        ).attachment_ids
        cls.defect_a.with_user(cls.rel_user).message_post(
            body=STAFF_MESSAGE, message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        cls.reply_a = cls.defect_a._crm_post_portal_message(cls.contact_a, CUSTOMER_REPLY_A)
        cls.message_b = cls._post_staff_customer_message(cls.defect_b, CUSTOMER_MESSAGE_B, "intervento-b.pdf")
        cls.attachment_b = cls.message_b.attachment_ids

    @classmethod
    def _create_portal_user(cls, login, name, email):
        return new_test_user(
            cls.env, login=login, name=name, email=email, lang="en_US", groups="base.group_portal"
        )

    @classmethod
    def _create_unit(cls, customer, product, serial, delivered, site=None, parent=None):
        lot = cls.env["stock.lot"].create(
            {"name": serial, "product_id": product.id, "company_id": cls.company.id}
        )
        return cls.env["crm.relationship.equipment"].create(
            {
                "partner_id": customer.id,
                "site_id": (site or customer).id,
                "product_id": product.id,
                "lot_id": lot.id,
                "delivery_date": delivered,
                "parent_id": parent.id if parent else False,
            }
        )

    @classmethod
    def _create_defect(cls, unit, contact, description):
        return cls.env["crm.relationship.defect"].create(
            {
                "partner_id": unit.partner_id.id,
                "contact_id": contact.id,
                "equipment_id": unit.id,
                "description": Markup("<p>%s</p>") % description,
                "user_call_center_id": cls.call_center_user.id,
            }
        )

    @classmethod
    def _create_attachment(cls, defect, name, raw=PDF_SMALL):
        return cls.env["ir.attachment"].create(
            {"name": name, "raw": raw, "res_model": defect._name, "res_id": defect.id}
        )

    @classmethod
    def _post_staff_customer_message(cls, defect, body, file_name):
        return defect.with_user(cls.rel_user).message_post(
            body=body,
            message_type="comment",
            subtype_xmlid="crm_relationship_portal.crm_relationship_defect_mt_customer",
            attachment_ids=cls._create_attachment(defect, file_name).ids,
        )

    # ------------------------------------------------------------------
    # HTTP helpers
    # ------------------------------------------------------------------

    def _login(self, user):
        self.authenticate(user.login, user.login)

    def _get(self, url):
        return self.url_open(url, allow_redirects=False)

    def _csrf_token(self, url="/my/requests/new"):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, f"{url} opens to get the form's token")
        return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)

    def _post(self, url, data, files=(), token_url="/my/requests/new"):
        data = dict(data, csrf_token=self._csrf_token(token_url))
        return self.url_open(
            url,
            data=data,
            files=[("attachments", file) for file in files] or None,
            allow_redirects=False,
            timeout=120,
        )

    def _report(self, files=(), **values):
        """POST the "Report a problem" form."""
        data = dict({"description": "La caldaia fa un rumore forte", "preferred_channel": "phone"}, **values)
        return self._post("/my/requests/new", data, files)

    def _portal_defects(self, partner):
        return self.env["crm.relationship.defect"].search(
            [("report_origin", "=", "portal"), ("partner_id", "=", partner.id)]
        )
