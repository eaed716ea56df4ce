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
