from datetime import datetime

from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.mail.tests.common import MailCase

from .common import CrmRelationshipDefectCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipWorkflowFields(CrmRelationshipDefectCase, MailCase):
    """Status, dates, reference and operator change through the actions; managers correct them, tracked."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(
            context=dict(cls.env.context, mail_notrack=False, tracking_disable=False, mail_create_nolog=False)
        )
        cls.defect = cls._create_defect()
        cls.defect.action_confirm()
        cls.call = cls._create_call(cls.customer, user=cls.rel_user)

    def _as(self, record, user):
        return record.with_user(user).with_context(allowed_company_ids=self.company.ids)

    def test_user_cannot_write_workflow_fields(self):
        defect = self._as(self.defect, self.rel_user)
        before = self.defect.read(["state", "name", "date_confirmed", "date_resolved", "date_closed"])[0]
        for values in (
            {"state": "closed"},
            {"date_confirmed": datetime(2020, 1, 1)},
            {"date_resolved": datetime(2020, 1, 2)},
            {"date_closed": datetime(2020, 1, 3)},
            {"name": "DEF/FAKE/0001"},
            {"state": "resolved", "root_cause": "None", "corrective_action": "None"},
            {"date_reported": datetime(2020, 1, 1)},
        ):
            with self.subTest(values=values), self._assert_raises_message(AccessError, "manager"):
                defect.write(values)
        # A context key sent over RPC does not open the door.
        with self.assertRaises(AccessError):
            defect.with_context(crm_relationship_workflow=True).write({"state": "closed"})
        self.assertEqual(
            self.defect.read(["state", "name", "date_confirmed", "date_resolved", "date_closed"])[0], before
        )
        with self.assertRaises(AccessError):
            self._as(self.Defect, self.rel_user).create(
                {"partner_id": self.customer.id, "state": "closed", "date_closed": datetime(2020, 1, 3)}
            )

    def test_actions_still_work_for_users(self):
        defect = self._as(self._create_defect(), self.rel_user)
        defect.action_confirm()
        defect.action_start_analysis()
        defect.write({"root_cause": "Cracked fan.", "corrective_action": "Fan replaced."})
        defect.action_resolve()
        defect.action_close()
        self.assertEqual(defect.state, "closed")
        self.assertTrue(defect.date_confirmed and defect.date_resolved and defect.date_closed)
        rejected = self._as(self._create_defect(), self.rel_user)
        rejected.action_reject()
        rejected.action_reset_to_new()
        self.assertEqual(rejected.state, "new")
        # The description and other fields stay editable, the report date until confirmation.
        defect.write({"severity": "high", "description": "<p>Rumore forte all'accensione.</p>"})
        rejected.write({"date_reported": datetime(2026, 1, 2, 8, 0)})

    def test_manager_corrections_are_tracked(self):
        defect = self._as(self.defect, self.rel_manager)
        corrected = datetime(2026, 1, 5, 9, 0)
        self.flush_tracking()
        defect.write({"date_confirmed": corrected})
        self.flush_tracking()
        self.assertEqual(self.defect.date_confirmed, corrected)
        tracking = self.defect.message_ids[0].sudo().tracking_value_ids
        self.assertEqual(tracking.field_id.name, "date_confirmed")
        self.assertEqual(self.defect.message_ids[0].author_id, self.rel_manager.partner_id)

        defect.write({"name": "DEF/2026/9999"})
        self.flush_tracking()
        self.assertEqual(self.defect.message_ids[0].sudo().tracking_value_ids.field_id.name, "name")

        call = self._as(self.call, self.rel_manager)
        call.write({"user_id": self.call_center_user.id})
        self.flush_tracking()
        self.assertEqual(self.call.user_id, self.call_center_user)
        self.assertEqual(self.call.message_ids[0].sudo().tracking_value_ids.field_id.name, "user_id")

    def test_call_operator_is_the_user_logging_it(self):
        call = self._as(self.call, self.rel_user)
        with self._assert_raises_message(AccessError, "manager"):
            call.write({"user_id": self.call_center_user.id})
        self.assertEqual(self.call.user_id, self.rel_user)
        Call = self._as(self.env["crm.relationship.call"], self.rel_user)
        with self.assertRaises(AccessError):
            Call.create(
                {"partner_id": self.customer.id, "subject": "Assist", "user_id": self.call_center_user.id}
            )
        own = Call.create({"partner_id": self.customer.id, "subject": "Assist", "user_id": self.rel_user.id})
        self.assertEqual(own.user_id, self.rel_user)
        # Everything else of the call stays editable by its operator.
        own.write({"duration": 12.0, "notes": "<p>Richiamare domani.</p>"})
