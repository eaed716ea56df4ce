from contextlib import closing

from odoo.exceptions import ConcurrencyError
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger


@tagged("post_install", "-at_install")
class TestCrmRelationshipPhoneConcurrency(TransactionCase):
    """Two workers handle events of the same customer at the same instant: what one
    commits while the other runs must make the other run again (Odoo retries a request
    that raises a concurrency error), never answer the PBX with an error."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        # The call-back responsible is a user saved before the calls, whom another
        # connection can make a follower.
        cls.responsible = cls.env.ref("base.user_admin")
        company = cls.responsible.company_id
        cls.pbx = cls.env["crm.relationship.pbx"].create(
            {"name": "Centralino Concorrenza", "company_id": company.id, "responsible_id": cls.responsible.id}
        )
        cls.env["crm.relationship.pbx.queue"].create(
            {"pbx_id": cls.pbx.id, "code": "600", "name": "Assistenza", "responsible_id": cls.responsible.id}
        )
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create(
            {"name": "Rossi Impianti S.r.l.", "is_company": True, "company_id": company.id}
        )
        Partner.create(
            [
                {
                    "name": "Marco Rossi",
                    "parent_id": cls.customer.id,
                    "phone": "+39 0432 555 0101",
                    "company_id": company.id,
                },
                {
                    "name": "Lucia Rossi",
                    "parent_id": cls.customer.id,
                    "phone": "+39 0432 555 0102",
                    "company_id": company.id,
                },
            ]
        )

    def _missed_call(self, call_id, number):
        PhoneCall = self.env["crm.relationship.phone.call"]
        return [
            PhoneCall._crm_normalize_event(
                {"call_id": call_id, "event": kind, "number": number, "queue": "600", "timestamp": moment}
            )
            for kind, moment in (("ringing", "2026-12-01T09:00:00Z"), ("missed", "2026-12-01T09:00:40Z"))
        ]

    def _callbacks(self):
        return self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )

    def test_missed_call_plans_its_call_back_on_the_customer(self):
        (phone_call, _created), _missed = self.env["crm.relationship.phone.call"]._crm_handle_events(
            self.pbx, self._missed_call("conc-1", "0432 5550101")
        )
        self.assertEqual(phone_call.state, "missed")
        self.assertEqual(phone_call.callback_activity_id, self._callbacks())
        self.assertEqual(self._callbacks().user_id, self.responsible)
        self.assertIn(self.responsible.partner_id, self.customer.message_partner_ids)

    def test_call_back_meets_the_follower_another_worker_just_added(self):
        """Marco and Lucia call at the same instant and nobody answers: each worker plans a
        call-back on their customer, which makes the responsible a follower of the customer.
        The worker that commits second meets the follower the first one added."""
        self.env.flush_all()
        # The other worker's call-back (Lucia's call), committed while this one runs.
        with closing(self.registry.cursor()) as other_cr:
            other_cr.execute(
                SQL(
                    """INSERT INTO mail_followers (res_model, res_id, partner_id)
                       VALUES ('res.partner', %s, %s)""",
                    self.customer.id,
                    self.responsible.partner_id.id,
                )
            )
            other_cr.commit()
        self.addCleanup(self._remove_committed_follower)
        with mute_logger("odoo.sql_db"), self.assertRaises(ConcurrencyError):
            self.env["crm.relationship.phone.call"]._crm_handle_events(
                self.pbx, self._missed_call("conc-2", "+39 0432 5550101")
            )

    def _remove_committed_follower(self):
        with closing(self.registry.cursor()) as other_cr:
            other_cr.execute(
                SQL(
                    """DELETE FROM mail_followers
                        WHERE res_model = 'res.partner' AND res_id = %s AND partner_id = %s""",
                    self.customer.id,
                    self.responsible.partner_id.id,
                )
            )
            other_cr.commit()
