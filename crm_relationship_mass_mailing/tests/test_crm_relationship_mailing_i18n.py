from odoo.tests import TransactionCase, tagged

from odoo.addons.crm_relationship.tests.common import assert_module_translated


@tagged("post_install", "-at_install")
class TestCrmRelationshipMassMailingItalian(TransactionCase):
    def test_every_term_is_translated(self):
        assert_module_translated(self, "crm_relationship_mass_mailing")
