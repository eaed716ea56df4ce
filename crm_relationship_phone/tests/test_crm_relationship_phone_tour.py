from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.crm_relationship_phone.models.crm_relationship_pbx import hash_key

# The key the tour's PBX events carry (static/tests/tours/crm_relationship_phone_tour.js).
PBX_KEY = "crm-phone-popup-tour-6mQv2ZbT9kLr4xWc8NsYd"


@tagged("post_install", "-at_install")
class TestPhonePopupTour(HttpCase):
    """The operator's screen pops up the customers of the number as the PBX reports the call."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, mail_create_nolog=True, tracking_disable=True))
        cls.operator = new_test_user(
            cls.env,
            login="popup_operator",
            name="Chiara Centralino",
            lang="en_US",
            groups="crm_relationship.crm_relationship_group_user",
        )
        cls.pbx = cls.env["crm.relationship.pbx"].create(
            {
                "name": "Popup Tour PBX",
                "company_id": cls.operator.company_id.id,
                "responsible_id": cls.operator.id,
            }
        )
        cls.pbx.sudo().key_hash = hash_key(PBX_KEY)
        cls.colleague = new_test_user(
            cls.env,
            login="popup_colleague",
            name="Ernesto Collega",
            groups="crm_relationship.crm_relationship_group_user",
        )
        cls.env["crm.relationship.pbx.extension"].create(
            [
                {"pbx_id": cls.pbx.id, "name": "201", "user_id": cls.operator.id},
                {"pbx_id": cls.pbx.id, "name": "202", "user_id": cls.colleague.id},
            ]
        )
        cls.queue = cls.env["crm.relationship.pbx.queue"].create(
            {
                "pbx_id": cls.pbx.id,
                "code": "600",
                "name": "Support",
                "user_ids": [Command.set((cls.operator | cls.colleague).ids)],
            }
        )
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create(
            {"name": "Caseificio Popup S.r.l.", "is_company": True, "customer_rank": 1}
        )
        cls.contact = Partner.create(
            {"name": "Giulia Verdi", "parent_id": cls.customer.id, "phone": "+39 0471 555 0142"}
        )
        # One number for the contacts of two customers: a shared switchboard.
        italy = cls.env.ref("base.it")
        cls.rossi = Partner.create(
            {"name": "Rossi Impianti Popup S.p.A.", "is_company": True, "country_id": italy.id}
        )
        cls.bianchi = Partner.create(
            {"name": "Bianchi Forniture Popup S.r.l.", "is_company": True, "country_id": italy.id}
        )
        cls.shared_contacts = Partner.create(
            [
                {"name": "Marco Rossi", "parent_id": cls.rossi.id, "phone": "+39 049 555 0177"},
                {"name": "Luca Bianchi", "parent_id": cls.bianchi.id, "phone": "049 555 0177"},
            ]
        )

    def _get_phone_call(self, pbx_call_id):
        return self.env["crm.relationship.phone.call"].search(
            [("pbx_id", "=", self.pbx.id), ("pbx_call_id", "=", pbx_call_id)]
        )

    def test_popup_tour(self):
        self.assertEqual(
            self.shared_contacts.mapped("phone_sanitized"),
            ["+390495550177", "+390495550177"],
            "Both contacts have the number, stored in two formats.",
        )
        self.start_tour("/odoo", "crm_relationship_phone_popup_tour", login="popup_operator", timeout=240)
        self.env.invalidate_all()

        call = self._get_phone_call("popup-tour-1")
        self.assertRecordValues(
            call,
            [
                {
                    "state": "answered",
                    "number": "0039 0471 555 0142",
                    "partner_id": self.customer.id,
                    "contact_id": self.contact.id,
                    "user_id": self.operator.id,
                    "match_count": 1,
                }
            ],
        )
        self.assertEqual(call.notified_user_ids, self.operator)
        self.assertRecordValues(
            call.call_ids,
            [
                {
                    "partner_id": self.customer.id,
                    "contact_id": self.contact.id,
                    "user_id": self.operator.id,
                    "subject": "Incoming call from 0039 0471 555 0142",
                    "direction": "inbound",
                    "state": "open",
                }
            ],
        )

        shared = self._get_phone_call("popup-tour-2")
        self.assertRecordValues(
            shared, [{"state": "ringing", "match_count": 2, "partner_id": False, "contact_id": False}]
        )
        self.assertEqual(shared.candidate_ids, self.shared_contacts)
        self.assertFalse(shared.call_ids, "A number of two customers does not guess whose call it is.")
        self.assertEqual(shared.notified_user_ids, self.operator)

        unknown = self._get_phone_call("popup-tour-3")
        self.assertRecordValues(unknown, [{"state": "ringing", "match_count": 0, "partner_id": False}])
        self.assertFalse(unknown.call_ids)

        answered_elsewhere = self._get_phone_call("popup-tour-4")
        self.assertRecordValues(
            answered_elsewhere,
            [
                {
                    "state": "done",
                    "queue_id": self.queue.id,
                    "partner_id": self.customer.id,
                    "user_id": self.colleague.id,
                }
            ],
        )
        self.assertEqual(answered_elsewhere.notified_user_ids, self.operator | self.colleague)
        self.assertRecordValues(
            answered_elsewhere.call_ids, [{"partner_id": self.customer.id, "user_id": self.colleague.id}]
        )

        missed = self._get_phone_call("popup-tour-5")
        self.assertRecordValues(missed, [{"state": "missed", "match_count": 0}])
        self.assertEqual(missed.notified_user_ids, self.operator | self.colleague)
        self.assertEqual(
            missed.callback_activity_id.user_id, self.operator, "the PBX's responsible calls back"
        )
