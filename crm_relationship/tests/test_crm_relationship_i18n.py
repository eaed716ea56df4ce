import polib

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader


def assert_module_translated(case, module, lang="it"):
    """Every term the module exports is translated in its ``i18n/<lang>.po``."""
    po = polib.pofile(f"{get_module_path(module)}/i18n/{lang}.po")
    translated = {
        entry.msgid for entry in po if entry.msgstr and not entry.obsolete and "fuzzy" not in entry.flags
    }
    terms = {
        source
        for _module, _type, _name, _res_id, source, _value, _comments in TranslationModuleReader(
            case.env.cr, modules=[module]
        )
        if source
    }
    missing = sorted(terms - translated)
    case.assertFalse(
        missing,
        f"{len(missing)} term(s) of {module} are not translated in i18n/{lang}.po, "
        f"export the terms and translate them: {missing[:15]}",
    )


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
