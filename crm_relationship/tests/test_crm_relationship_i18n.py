from odoo.tests import TransactionCase, tagged

from .common import assert_module_translated


@tagged("post_install", "-at_install")
class TestCrmRelationshipItalian(TransactionCase):
    def test_every_term_is_translated(self):
        assert_module_translated(self, "crm_relationship")

    def test_italian_user_sees_italian_labels(self):
        self.env["res.lang"]._activate_lang("it_IT")
        self.env["ir.module.module"]._load_module_terms(["crm_relationship"], ["it_IT"], overwrite=True)
        env_it = self.env(context={"lang": "it_IT"})
        call_fields = env_it["crm.relationship.call"].fields_get(["partner_id", "duration"])
        self.assertEqual(call_fields["partner_id"]["string"], "Cliente")
        self.assertNotEqual(call_fields["duration"]["string"], "Duration (minutes)")
        entry_types = dict(
            env_it["crm.relationship.timeline"]._fields["entry_type"]._description_selection(env_it)
        )
        self.assertEqual(
            entry_types["quotation"], "Offerta", "the document types label the timeline in Italian"
        )
        self.assertEqual(entry_types["refund"], "Nota di credito")
        menu = env_it.ref("crm_relationship.crm_relationship_menu_root")
        self.assertEqual(menu.name, "Relazioni clienti")
        template = self.env.ref("crm_relationship.crm_relationship_defect_mail_template_confirmed")
        self.assertNotEqual(
            template.with_context(lang="it_IT").subject, template.with_context(lang="en_US").subject
        )
