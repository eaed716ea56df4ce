from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestCrmRelationshipPhoneDemo(TransactionCase):
    """The demo switchboard's morning went through the same handling as a PBX's events."""

    def test_demo_calls_logged_themselves(self):
        pbx = self.env.ref("crm_relationship_phone.crm_relationship_pbx_milano_demo")
        calls = {
            call.pbx_call_id: call
            for call in self.env["crm.relationship.phone.call"].search([("pbx_id", "=", pbx.id)])
        }
        self.assertEqual(sorted(calls), ["demo-1001", "demo-1002", "demo-1003"])
        rossi = self.env.ref("crm_relationship.res_partner_rossi_demo")
        marco = self.env.ref("crm_relationship.res_partner_rossi_marco_demo")
        giulia = self.env.ref("crm_relationship.res_partner_rossi_giulia_demo")
        admin = self.env.ref("base.user_admin")
        answered = calls["demo-1001"]
        self.assertEqual((answered.state, answered.contact_id, answered.user_id), ("done", marco, admin))
        self.assertEqual((answered.wait_seconds, answered.talk_seconds), (18, 372))
        self.assertEqual(answered.call_ids.partner_id, rossi)
        self.assertEqual(answered.call_ids.duration, 6.2)
        self.assertEqual(calls["demo-1003"].call_ids.contact_id, giulia)
        self.assertEqual(calls["demo-1003"].call_ids.department, "sales")
        missed = calls["demo-1002"]
        self.assertEqual((missed.state, missed.match_count), ("missed", 0))
        self.assertEqual(missed.callback_activity_id.user_id, admin)
        self.assertEqual(missed.callback_activity_id.res_id, missed.id)
