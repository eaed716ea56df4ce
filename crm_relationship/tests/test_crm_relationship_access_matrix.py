from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import MANAGER, ROLES, USER, CrmRelationshipTwoCompaniesCase

OUR_MODULES = (
    "crm_relationship",
    "crm_relationship_calendar",
    "crm_relationship_crm",
    "crm_relationship_mrp",
    "crm_relationship_phone",
    "crm_relationship_portal",
    "crm_relationship_mass_mailing",
)
OPERATIONS = ("read", "write", "create", "unlink")

NONE = ""
ALL = "rwcu"

# Rights of each role on each model of the add-ons: r(ead) w(rite) c(reate) u(nlink).
# Portal and public users, and employees outside the Customer Relationship groups, get nothing.
# A model missing here makes the test fail: decide its rights.
EXPECTED_ACCESS = {
    # The card's feed: read by every Relationship User, written by nobody (an SQL view).
    "crm.relationship.timeline": {USER: "r", MANAGER: "r"},
    # Operators log calls and edit their own (record rules); managers delete.
    "crm.relationship.call": {USER: "rwc", MANAGER: ALL},
    # Configuration: read by users, managed by managers.
    "crm.relationship.call.channel": {USER: "r", MANAGER: ALL},
    "crm.relationship.call.outcome": {USER: "r", MANAGER: ALL},
    "crm.relationship.equipment.category": {USER: "r", MANAGER: ALL},
    "crm.relationship.defect.category": {USER: "r", MANAGER: ALL},
    "crm.relationship.defect.route": {MANAGER: ALL},
    "crm.relationship.rfm.segment": {USER: "r", MANAGER: ALL},
    "crm.relationship.event.rule": {USER: "r", MANAGER: ALL},
    "crm.relationship.event.log": {USER: "r", MANAGER: ALL},
    # Written by the RFM job only; managers may delete the history.
    "crm.relationship.segment.move": {USER: "r", MANAGER: "ru"},
    # Fitted by the nightly job; managers compute them now (create) and delete old ones.
    "crm.relationship.value.model": {USER: "r", MANAGER: "rcu"},
    "crm.relationship.value.model.line": {USER: "r", MANAGER: "rcu"},
    # Installed base and defect reports: users register and report, managers delete.
    "crm.relationship.equipment": {USER: "rwc", MANAGER: ALL},
    "crm.relationship.defect": {USER: "rwc", MANAGER: ALL},
    # History of the recalls run, written by the recall wizard only.
    "crm.relationship.defect.recall.log": {USER: "r", MANAGER: "r"},
    # Wizards of the operators (transient: each user sees only their own).
    "crm.relationship.call.close": {USER: ALL, MANAGER: ALL},
    "crm.relationship.call.lookup": {USER: ALL, MANAGER: ALL},
    "crm.relationship.equipment.lookup": {USER: "rwc", MANAGER: "rwc"},
    "crm.relationship.defect.recall": {USER: ALL, MANAGER: ALL},
    # Registering past deliveries goes through every delivery of a company: managers.
    "crm.relationship.equipment.register": {MANAGER: ALL},
    # Analytics (SQL views): managers read them.
    "crm.relationship.profitability.report": {MANAGER: "r"},
    "crm.relationship.staff.report": {MANAGER: "r"},
    "crm.relationship.defect.report": {MANAGER: "r"},
    "crm.relationship.defect.component.report": {MANAGER: "r"},
    # Telephony: phone systems, their extensions and queues are configured by managers and read by
    # the operators; the calls the PBX reports are written by the PBX's endpoint only.
    "crm.relationship.pbx": {USER: "r", MANAGER: ALL},
    "crm.relationship.pbx.extension": {USER: "r", MANAGER: ALL},
    "crm.relationship.pbx.queue": {USER: "r", MANAGER: ALL},
    "crm.relationship.phone.call": {USER: "r", MANAGER: "rwu"},
    # Showing a new PBX key, sending a test call: managers' wizards.
    "crm.relationship.pbx.key": {MANAGER: "rwc"},
    "crm.relationship.pbx.test.call": {MANAGER: "rwc"},
    # Customer portal and satisfaction: the satisfaction analysis (an SQL view) is read by managers;
    # portal users reach nothing but their own records, through the portal's pages.
    "crm.relationship.satisfaction.report": {MANAGER: "r"},
    # CRM bridge: the pipeline conversion analysis (an SQL view) is read by managers.
    "crm.relationship.conversion.report": {MANAGER: "r"},
    # E-mail marketing bridge: a mailing's audience at send time, written by the send only (read by
    # managers for the effect; marketing users are no role here); the effect analysis for managers.
    "crm.relationship.mailing.audience": {MANAGER: "r"},
    "crm.relationship.mailing.effect.report": {MANAGER: "r"},
    # Abstract mixins of the reports: no table, no records, no rights.
    "crm.relationship.report.mixin": {},
    "crm.relationship.defect.rate.mixin": {},
    "crm.relationship.customer.document": {},
    "crm.relationship.customer.status": {},
    "crm.relationship.indexed.lookup.mixin": {},
    "crm.relationship.customer.mixin": {},
    "crm.relationship.call.source.mixin": {},
    "crm.relationship.rating.mixin": {},
}

# Models without company: shared by every company of the database (say why).
SHARED_MODELS = {
    "crm.relationship.call.channel": "channels (phone, e-mail, visit) are the same for every company",
    "crm.relationship.call.outcome": "call outcomes are the same for every company",
    "crm.relationship.rfm.segment": "segments are defined once; scores are computed per customer",
    "crm.relationship.report.mixin": "abstract, no records",
    "crm.relationship.defect.rate.mixin": "abstract, no records",
    "crm.relationship.customer.document": "abstract, no records",
    "crm.relationship.customer.status": "abstract, no records (stored on partners)",
    "crm.relationship.indexed.lookup.mixin": "abstract, no records",
    "crm.relationship.customer.mixin": "abstract, no records",
    "crm.relationship.call.source.mixin": "abstract, no records",
    "crm.relationship.rating.mixin": "abstract, no records (the rated documents have a company)",
}

# Record rules of the add-ons and what they do. A new rule makes the test fail: describe it.
EXPECTED_RULES = {
    "crm_relationship.crm_relationship_timeline_rule_company": "company or none",
    "crm_relationship.crm_relationship_call_rule_company": "company",
    "crm_relationship.crm_relationship_call_rule_user_own": "own calls (see call security tests)",
    "crm_relationship.crm_relationship_call_rule_manager_all": "all calls (see call security tests)",
    "crm_relationship.crm_relationship_equipment_rule_company": "company",
    "crm_relationship.crm_relationship_equipment_category_rule_company": "company or none",
    "crm_relationship.crm_relationship_event_rule_rule_company": "company",
    "crm_relationship.crm_relationship_event_log_rule_company": "company",
    "crm_relationship.crm_relationship_profitability_report_rule_company": "company",
    "crm_relationship.crm_relationship_staff_report_rule_company": "company",
    "crm_relationship.crm_relationship_defect_report_rule_company": "company",
    "crm_relationship.crm_relationship_defect_rule_company": "company",
    "crm_relationship.crm_relationship_defect_category_rule_company": "company or none",
    "crm_relationship.crm_relationship_defect_route_rule_company": "company or none",
    "crm_relationship.crm_relationship_defect_recall_log_rule_company": "company",
    "crm_relationship_mrp.crm_relationship_defect_component_report_rule_company": "company",
    "crm_relationship_phone.crm_relationship_pbx_rule_company": "company",
    "crm_relationship_phone.crm_relationship_pbx_extension_rule_company": "company",
    "crm_relationship_phone.crm_relationship_pbx_queue_rule_company": "company",
    "crm_relationship_phone.crm_relationship_phone_call_rule_company": "company",
    "crm_relationship_portal.crm_relationship_satisfaction_report_rule_company": "company",
    "crm_relationship_crm.crm_relationship_conversion_report_rule_company": "company or none",
    "crm_relationship.crm_relationship_segment_move_rule_company": "company or none",
    "crm_relationship.crm_relationship_value_model_rule_company": "company",
    "crm_relationship.crm_relationship_value_model_line_rule_company": "company",
    "crm_relationship_mass_mailing.crm_relationship_mailing_audience_rule_company": "company",
    "crm_relationship_mass_mailing.crm_relationship_mailing_effect_report_rule_company": "company",
}

# Company models whose company-B rows the fixture cannot build cheaply: their rule's
# domain, as evaluated for the user, is checked instead of actual rows.
RULE_CHECKED_ON_DOMAIN = {
    "crm.relationship.defect.component.report": "rows need a done manufacturing order of component lots",
}


def own_models(env):
    """Names of the models created by our add-ons (their ``ir.model`` belongs to no other module)."""
    modules_by_model = {}
    for data in env["ir.model.data"].search([("model", "=", "ir.model")]):
        modules_by_model.setdefault(data.res_id, set()).add(data.module)
    return set(
        env["ir.model"]
        .browse([res_id for res_id, modules in modules_by_model.items() if modules <= set(OUR_MODULES)])
        .mapped("model")
    )


@tagged("post_install", "-at_install")
class TestCrmRelationshipAccessMatrix(CrmRelationshipTwoCompaniesCase):
    def test_every_model_has_a_decision(self):
        models = own_models(self.env)
        self.assertIn("crm.relationship.call", models)
        self.assertNotIn("res.partner", models)
        undecided = sorted(models - set(EXPECTED_ACCESS))
        self.assertEqual(undecided, [], "New models of the add-ons: decide their rights and list them here")
        gone = sorted(model for model in set(EXPECTED_ACCESS) - models if model in self.env)
        self.assertEqual(gone, [])

    def test_access_rights_matrix(self):
        mismatches = []
        for model in sorted(own_models(self.env)):
            expected = EXPECTED_ACCESS.get(model, {})
            for role in ROLES:
                Model = self._as(role)[model]
                rights = "".join(
                    op[0] if op != "unlink" else "u" for op in OPERATIONS if Model.has_access(op)
                )
                if rights != expected.get(role, NONE):
                    mismatches.append(
                        f"{model} as {role}: {rights or '-'}, expected {expected.get(role) or '-'}"
                    )
        self.assertEqual(mismatches, [])

    def test_every_rule_has_a_decision(self):
        rules = self.env["ir.rule"].search([("model_id.model", "in", sorted(own_models(self.env)))])
        xmlids = {rule.get_external_id()[rule.id] or f"(no xml id) {rule.name}" for rule in rules}
        expected = {
            xmlid
            for xmlid in EXPECTED_RULES
            if (
                not xmlid.startswith("crm_relationship_mrp.")
                or "crm.relationship.defect.component.report" in self.env
            )
            and (not xmlid.startswith("crm_relationship_phone.") or "crm.relationship.pbx" in self.env)
            and (
                not xmlid.startswith("crm_relationship_portal.")
                or "crm.relationship.satisfaction.report" in self.env
            )
            and (
                not xmlid.startswith("crm_relationship_crm.")
                or "crm.relationship.conversion.report" in self.env
            )
            and (
                not xmlid.startswith("crm_relationship_mass_mailing.")
                or "crm.relationship.mailing.audience" in self.env
            )
        }
        self.assertEqual(sorted(xmlids - expected), [], "New record rules: describe them here and test them")
        self.assertEqual(sorted(expected - xmlids), [], "Record rules listed here no longer exist")

    def test_company_models_have_a_company_rule(self):
        for model in sorted(own_models(self.env)):
            Model = self.env[model]
            if "company_id" not in Model._fields or Model._transient:
                self.assertTrue(
                    Model._transient or model in SHARED_MODELS,
                    f"{model} has no company: list it among the shared models with the reason",
                )
                continue
            with self.subTest(model=model):
                rule_domain = self._as(MANAGER, self.company_a)["ir.rule"]._compute_domain(model, "read")
                Sudo = Model.sudo()
                self.assertFalse(
                    Sudo.new({"company_id": self.company_b.id}).filtered_domain(rule_domain),
                    f"{model}: a record of company B passes the record rules with company A active",
                )
                self.assertTrue(Sudo.new({"company_id": self.company_a.id}).filtered_domain(rule_domain))

    def test_company_b_records_are_out_of_reach_with_company_a_active(self):
        for model in sorted(own_models(self.env)):
            Model = self.env[model]
            if "company_id" not in Model._fields or Model._transient or model in RULE_CHECKED_ON_DOMAIN:
                continue
            records = self.records_b.get(model)
            with self.subTest(model=model):
                self.assertTrue(records, f"The fixture builds no record of {model} in company B: add one")
                self.assertEqual(set(records.mapped("company_id")), {self.company_b})
                for reader in (
                    role for role in (USER, MANAGER) if "r" in EXPECTED_ACCESS[model].get(role, "")
                ):
                    env_a = self._as(reader, self.company_a)
                    env_ab = self._as(reader, self.company_a, self.company_b)
                    self.assertFalse(env_a[model].search([("id", "in", records.ids)]))
                    self.assertEqual(
                        env_ab[model].search([("id", "in", records.ids)]), records.with_env(env_ab)
                    )
                    for operation in ("read", "write", "unlink"):
                        self.env.invalidate_all()
                        with self.assertRaises(AccessError, msg=f"{operation} on {model} of company B"):
                            records.with_env(env_a).check_access(operation)
                    self.env.invalidate_all()
                    with self.assertRaises(AccessError):
                        records.with_env(env_a).read(["company_id"])
                    if "w" in EXPECTED_ACCESS[model].get(reader, ""):
                        with self.assertRaises(AccessError):
                            records.with_env(env_a).write({"company_id": self.company_a.id})
