from odoo import fields
from odoo.exceptions import AccessError
from odoo.fields import Command, Domain
from odoo.tests import new_test_user, tagged

from .common import CrmRelationshipCase

OUR_MODULES = ("crm_relationship", "crm_relationship_mrp")
OPERATIONS = ("read", "write", "create", "unlink")

PORTAL = "portal"
INTERNAL = "internal"
USER = "user"
MANAGER = "manager"
ROLES = (PORTAL, INTERNAL, USER, MANAGER)

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
    # Abstract mixins of the reports: no table, no records, no rights.
    "crm.relationship.report.mixin": {},
    "crm.relationship.defect.rate.mixin": {},
    "crm.relationship.customer.document": {},
    "crm.relationship.customer.status": {},
    "crm.relationship.customer.mixin": {},
    "crm.relationship.call.source.mixin": {},
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
    "crm.relationship.customer.mixin": "abstract, no records",
    "crm.relationship.call.source.mixin": "abstract, no records",
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


class CrmRelationshipTwoCompaniesCase(CrmRelationshipCase):
    """Company A (the main one) and company B, each with a customer and every kind of record
    of the add-ons, users of every role, and a portal user of the customer of A."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.company
        cls.company_b = cls.env["res.company"].create(
            {"name": "Beta Riservata S.p.A.", "currency_id": cls.company_a.currency_id.id}
        )
        cls.env["account.chart.template"].try_loading("generic_coa", cls.company_b, install_demo=False)
        cls.env = cls.env(
            context=dict(cls.env.context, allowed_company_ids=[cls.company_a.id, cls.company_b.id])
        )
        # Users of company A who also work for B: in the web client with only A active.
        for user in (cls.rel_user, cls.rel_manager):
            user.write({"company_ids": [Command.link(cls.company_b.id)]})
        cls.customer_a = cls._create_call_customer("Alfa Clienti", company_id=cls.company_a.id)
        cls.portal_user = new_test_user(
            cls.env, login="portal_alfa", name="Portale Alfa", groups="base.group_portal"
        )
        cls.portal_user.partner_id.parent_id = cls.customer_a
        cls.user_b = new_test_user(
            cls.env,
            login="rel_user_beta",
            name="Operatore Beta",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
            groups="crm_relationship.crm_relationship_group_user",
        )
        cls.users = {
            PORTAL: cls.portal_user,
            INTERNAL: cls.internal_user,
            USER: cls.rel_user,
            MANAGER: cls.rel_manager,
        }
        cls.records_b = cls._create_company_b_records()

    @classmethod
    def _create_company_b_records(cls):
        """``{model: records of company B}`` for every kind of record of the add-ons."""
        env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.company_b.id]))
        company = cls.company_b
        cls.customer_b = env["res.partner"].create(
            {"name": "Cliente Segreto Beta", "is_company": True, "company_id": company.id}
        )
        cls.product = env["product.product"].create(
            {"name": "Caldaia Beta", "type": "consu", "list_price": 900.0, "taxes_id": [Command.clear()]}
        )
        cls.order_b = env["sale.order"].create(
            {
                "partner_id": cls.customer_b.id,
                "company_id": company.id,
                "order_line": [Command.create({"product_id": cls.product.id, "product_uom_qty": 1})],
            }
        )
        cls.invoice_b = env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer_b.id,
                "company_id": company.id,
                "invoice_date": fields.Date.today(),
                "invoice_line_ids": [
                    Command.create(
                        {"product_id": cls.product.id, "quantity": 1, "price_unit": 900.0, "tax_ids": []}
                    )
                ],
            }
        )
        cls.invoice_b.action_post()
        cls.call_b = (
            env["crm.relationship.call"]
            .with_user(cls.user_b)
            .with_context(allowed_company_ids=company.ids)
            .create({"partner_id": cls.customer_b.id, "subject": "Chiamata riservata Beta"})
            .sudo()
            .with_env(env)
        )
        equipment_category = env["crm.relationship.equipment.category"].create(
            {"name": "Categoria Beta", "company_id": company.id}
        )
        cls.equipment_b = env["crm.relationship.equipment"].create(
            {
                "partner_id": cls.customer_b.id,
                "product_id": cls.product.id,
                "company_id": company.id,
                "serial_number": "BETA-SN-0001",
                "category_id": equipment_category.id,
            }
        )
        defect_category = env["crm.relationship.defect.category"].create(
            {"name": "Difetto Beta", "company_id": company.id}
        )
        route = env["crm.relationship.defect.route"].create(
            {"name": "Instradamento Beta", "company_id": company.id, "department": "production"}
        )
        cls.defect_b = env["crm.relationship.defect"].create(
            {
                "partner_id": cls.customer_b.id,
                "product_id": cls.product.id,
                "equipment_id": cls.equipment_b.id,
                "company_id": company.id,
                "category_id": defect_category.id,
            }
        )
        cls.event_rule_b = env["crm.relationship.event.rule"].create(
            {
                "name": "Regola Beta",
                "company_id": company.id,
                "rule_type": "no_purchase",
                "days": 30,
                "responsible_type": "user",
                "user_id": cls.user_b.id,
            }
        )
        event_log = env["crm.relationship.event.log"].create(
            {"rule_id": cls.event_rule_b.id, "partner_id": cls.customer_b.id, "period_key": "beta"}
        )
        records = {
            "crm.relationship.call": cls.call_b,
            "crm.relationship.equipment": cls.equipment_b,
            "crm.relationship.equipment.category": equipment_category,
            "crm.relationship.defect": cls.defect_b,
            "crm.relationship.defect.category": defect_category,
            "crm.relationship.defect.route": route,
            "crm.relationship.event.rule": cls.event_rule_b,
            "crm.relationship.event.log": event_log,
        }
        records["crm.relationship.defect.recall.log"] = env["crm.relationship.defect.recall.log"].create(
            {"defect_id": cls.defect_b.id, "user_id": cls.user_b.id, "mode": "call"}
        )
        env.flush_all()
        company_b_domain = Domain("company_id", "=", company.id)
        records["crm.relationship.timeline"] = env["crm.relationship.timeline"].search(
            company_b_domain & Domain("commercial_partner_id", "=", cls.customer_b.id)
        )
        for report in (
            "crm.relationship.profitability.report",
            "crm.relationship.staff.report",
            "crm.relationship.defect.report",
        ):
            records[report] = env[report].search(company_b_domain)
        return records

    def _as(self, role, *companies):
        """An environment of the user of ``role`` in the web client with ``companies`` active."""
        user = self.users[role]
        companies = companies or (user.company_id,)
        return self.env(
            user=user, context=dict(self.env.context, allowed_company_ids=[c.id for c in companies])
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
            if not xmlid.startswith("crm_relationship_mrp.")
            or "crm.relationship.defect.component.report" in self.env
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
