from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import PBX_KEY, CrmRelationshipPhoneCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipPhoneSecurity(CrmRelationshipPhoneCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = new_test_user(cls.env, login="phone_portal", groups="base.group_portal")
        cls.phone_call = (
            cls.env["crm.relationship.phone.call"]
            ._crm_handle_events(
                cls.pbx,
                [
                    cls.env["crm.relationship.phone.call"]._crm_normalize_event(
                        {
                            "call_id": "sec-1",
                            "event": "ringing",
                            "number": "+39 338 701 2245",
                            "extension": "201",
                        }
                    )
                ],
            )[0][0]
            .sudo(False)
        )

    def test_operators_read_calls_the_pbx_wrote_and_cannot_change_them(self):
        call = self.phone_call.with_user(self.rel_user)
        self.assertEqual(call.contact_id, self.marco)
        with self.assertRaises(AccessError):
            call.write({"number": "+39 000"})
        with self.assertRaises(AccessError):
            call.unlink()
        with self.assertRaises(AccessError):
            self.env["crm.relationship.phone.call"].with_user(self.rel_user).create(
                {"pbx_id": self.pbx.id, "pbx_call_id": "forged"}
            )

    def test_portal_users_and_employees_outside_the_groups_see_no_call(self):
        for user in (self.portal_user, self.internal_user):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.phone_call.with_user(user).read(["number"])
                with self.assertRaises(AccessError):
                    self.env["crm.relationship.pbx"].with_user(user).search([])
                with self.assertRaises(AccessError):
                    self.phone_call.with_user(user).action_log_call()

    def test_dialling_is_for_relationship_users(self):
        self.pbx.sudo().write({"originate_method": "ari", "originate_url": "http://127.0.0.1:9/ari"})
        with self.assertRaises(AccessError):
            self.marco.with_user(self.internal_user).action_crm_dial()

    def test_fields_added_to_other_models_are_for_relationship_users(self):
        """The telephony fields the add-on puts on models it does not define (the customer call,
        the user) are read by Customer Relationship users only, never over RPC by others."""
        data = self.env["ir.model.data"].search(
            [("module", "=", "crm_relationship_phone"), ("model", "=", "ir.model.fields")]
        )
        added = (
            self.env["ir.model.fields"]
            .browse(data.mapped("res_id"))
            .filtered(lambda field: self.env[field.model]._original_module != "crm_relationship_phone")
            .filtered(
                lambda field: any(
                    cls.__module__.startswith("odoo.addons.crm_relationship_phone.")
                    and field.name in vars(cls)
                    for cls in type(self.env[field.model]).mro()
                )
            )
        )
        self.assertIn("phone_call_id", added.mapped("name"))
        self.assertIn("crm_pbx_extension_ids", added.mapped("name"))
        self.assertNotIn("display_name", added.mapped("name"))
        for field in added:
            with self.subTest(field=f"{field.model}.{field.name}"):
                self.assertEqual(
                    self.env[field.model]._fields[field.name].groups,
                    "crm_relationship.crm_relationship_group_user",
                )
        call = self.env["crm.relationship.call"].search([("phone_call_id", "!=", False)], limit=1)
        self.assertTrue(call)
        self.assertEqual(call.with_user(self.rel_user).phone_number, "+39 338 701 2245")
        with self.assertRaises(AccessError):
            self.internal_user.with_user(self.internal_user).read(["crm_pbx_extension_ids"])

    def test_pbx_secrets_are_not_readable_by_operators(self):
        self.pbx.sudo().originate_password = "ari-secret"
        with self.assertRaises(AccessError):
            self.pbx.with_user(self.rel_user).read(["originate_password"])
        with self.assertRaises(AccessError):
            self.pbx.with_user(self.rel_manager).read(["key_hash"])
        self.assertEqual(self.pbx.with_user(self.rel_manager).originate_password, "ari-secret")

    def test_new_key_is_shown_once_and_replaces_the_old_one(self):
        Pbx = self.env["crm.relationship.pbx"]
        with self.assertRaises(AccessError):
            self.pbx.with_user(self.rel_user).action_generate_key()
        action = self.pbx.with_user(self.rel_manager).action_generate_key()
        wizard = self.env["crm.relationship.pbx.key"].browse(action["res_id"])
        key = wizard.key
        self.assertGreaterEqual(len(key), 40)
        self.assertEqual(self.pbx.key_hint, key[:6])
        self.assertTrue(wizard.endpoint_url.endswith("/crm_relationship_phone/event"))
        self.assertNotIn(key, self.pbx.sudo().key_hash)
        self.assertEqual(Pbx._crm_authenticate(key), self.pbx)
        self.assertFalse(Pbx._crm_authenticate(PBX_KEY), "the old key stops working")
        self.assertFalse(Pbx._crm_authenticate(""))
        self.assertFalse(Pbx._crm_authenticate(None))
        with self.assertRaises(AccessError):
            wizard.with_user(self.rel_user).read(["key"])

    def test_test_calls_are_for_managers(self):
        with self.assertRaises(AccessError):
            self.env["crm.relationship.pbx.test.call"].with_user(self.rel_user).create(
                {"pbx_id": self.pbx.id, "number": "+39 338 701 2245"}
            )
