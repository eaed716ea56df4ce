from contextlib import contextmanager

from odoo.tests import TransactionCase, new_test_user


class CrmRelationshipCase(TransactionCase):
    """Users of every access level and small factories for customer data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(
            context=dict(cls.env.context, mail_create_nolog=True, mail_notrack=True, tracking_disable=True)
        )
        cls.company = cls.env.company
        cls.rel_user = new_test_user(
            cls.env,
            login="rel_user",
            name="Paola Operatrice",
            groups="crm_relationship.crm_relationship_group_user",
        )
        cls.rel_manager = new_test_user(
            cls.env,
            login="rel_manager",
            name="Stefano Responsabile",
            groups="crm_relationship.crm_relationship_group_manager",
        )
        cls.internal_user = new_test_user(
            cls.env, login="plain_user", name="Plain Employee", groups="base.group_user"
        )

    @classmethod
    def _create_call_customer(cls, name, phone=False, contacts=(), **values):
        """An Italian company with contacts given as ``(name, phone)`` pairs."""
        customer = cls.env["res.partner"].create(
            dict(
                {"name": name, "is_company": True, "phone": phone, "country_id": cls.env.ref("base.it").id},
                **values,
            )
        )
        for contact_name, contact_phone in contacts:
            cls.env["res.partner"].create(
                {"name": contact_name, "parent_id": customer.id, "phone": contact_phone}
            )
        return customer

    @classmethod
    def _create_call(cls, customer, user=None, **values):
        """A call with ``customer``, logged by ``user`` (the superuser when not given)."""
        Call = cls.env["crm.relationship.call"]
        if user:
            Call = Call.with_user(user)
        return Call.create(dict({"partner_id": customer.id, "subject": "Richiesta informazioni"}, **values))

    @contextmanager
    def _assert_raises_message(self, exception, pattern):
        """``assertRaisesRegex`` that rolls back like ``assertRaises`` (savepoint)."""
        with self.assertRaises(exception) as catcher:
            yield catcher
        self.assertRegex(str(catcher.exception), pattern)
