from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command
from odoo.models import LOG_ACCESS_COLUMNS
from odoo.service.model import get_public_method
from odoo.tests import new_test_user, tagged

from .common import CrmRelationshipTwoCompaniesCase

REFUSALS = (AccessError, UserError, ValidationError)

# Public methods that may return normally for a Relationship User on the probe
# record (they must still neither write nor create anything, nor name records of
# the other company). Every other public method must refuse.
DELIBERATELY_CALLABLE = {
    ("crm.relationship.rfm.segment", "action_view_partners"): (
        "segments are shared by all companies: it opens the customers of the segment, "
        "which the record rules then restrict to the user's companies"
    ),
    **dict.fromkeys(
        [
            ("crm.relationship.call", "search_panel_select_range"),
            ("crm.relationship.defect", "search_panel_select_range"),
            ("crm.relationship.timeline", "search_panel_select_multi_range"),
        ],
        "the search panel of the list (Odoo's own, served by a read replica): its values and counts "
        "come from the records the user may read",
    ),
    **dict.fromkeys(
        [
            ("crm.relationship.call.lookup", "onchange"),
            ("crm.relationship.equipment.lookup", "onchange"),
            ("crm.relationship.defect.recall", "onchange"),
        ],
        "the wizard's preview (Odoo's onchange, served by a read replica): it finds only records the "
        "user may read",
    ),
}

# Arguments of the public methods that take some, as a function of the test case.
METHOD_ARGS = {
    "create": lambda case, model: ([case._probe_create_values(model)],),
    "write": lambda case, model: (case._probe_write_values(model),),
    # the web client's calls, overridden to be served by a read replica
    "onchange": lambda case, model: case._probe_onchange_args(model),
    "search_panel_select_range": lambda case, model: (case._probe_search_panel_field(model),),
    "search_panel_select_multi_range": lambda case, model: (case._probe_search_panel_field(model),),
    # Odoo's rating answer on the documents asking for satisfaction (portal add-on)
    "rating_apply": lambda case, model: (5,),
}


def addon_public_methods(env):
    """``{(model, method)}`` of the public methods defined in the add-ons' classes, as RPC sees them."""
    methods = set()
    for model_name in env.registry:
        model = env[model_name]
        if model._abstract:
            continue  # no records to call them on: probed on the models that inherit them
        if not any(
            cls.__module__.startswith("odoo.addons.crm_relationship")
            and getattr(cls, "_name", None) == model_name
            for cls in type(model).mro()
        ):
            continue  # a model of another add-on inheriting our abstract models: that add-on's to probe
        for cls in type(model).mro():
            if not cls.__module__.startswith("odoo.addons.crm_relationship"):
                continue
            for name, value in vars(cls).items():
                if name.startswith("_") or not callable(value):
                    continue
                try:
                    get_public_method(model, name)
                except (AccessError, AttributeError):
                    continue
                methods.add((model_name, name))
    return methods


@tagged("post_install", "-at_install")
class TestCrmRelationshipRpc(CrmRelationshipTwoCompaniesCase):
    maxDiff = None

    """Every public method of the add-ons, called by RPC on a record of another company
    (a Relationship User of company A only, and one of both companies with A active)
    and by a portal customer: it refuses, or works within rights, and never acts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.outsider = new_test_user(
            cls.env,
            login="rel_user_alfa_only",
            name="Operatore Alfa",
            company_id=cls.company_a.id,
            company_ids=[Command.set(cls.company_a.ids)],
            groups="crm_relationship.crm_relationship_group_user",
        )
        cls.customer_b.phone = "+39 081 5550199"
        cls.segment = cls.env["crm.relationship.rfm.segment"].create({"name": "Segmento Condiviso"})
        cls.lot_b = cls.env["stock.lot"].create(
            {
                "name": "BETA-LOT-0001",
                "company_id": cls.company_b.id,
                "product_id": cls.env["product.product"]
                .create({"name": "Caldaia Seriale Beta", "is_storable": True, "tracking": "serial"})
                .id,
            }
        )
        warehouse_b = cls.env["stock.warehouse"].search([("company_id", "=", cls.company_b.id)], limit=1)
        cls.picking_b = cls.env["stock.picking"].create(
            {
                "partner_id": cls.customer_b.id,
                "picking_type_id": warehouse_b.out_type_id.id,
                "company_id": cls.company_b.id,
            }
        )
        cls.payment_b = (
            cls.env["account.payment"]
            .with_company(cls.company_b)
            .create(
                {
                    "partner_id": cls.customer_b.id,
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "amount": 90.0,
                    "company_id": cls.company_b.id,
                }
            )
        )
        cls.payment_b.action_post()
        cls.activity_b = cls.order_b.activity_schedule(
            "mail.mail_activity_data_todo", summary="Richiamare il cliente Beta", user_id=cls.env.uid
        )
        cls.message_b = cls.customer_b.message_post(body="Nota riservata Beta", message_type="comment")
        cls.order_a = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer_a.id,
                "order_line": [Command.create({"product_id": cls.product.id, "product_uom_qty": 1})],
            }
        )
        cls.order_a.message_subscribe(partner_ids=cls.portal_user.partner_id.ids)
        cls.invoice_a = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer_a.id,
                "invoice_line_ids": [Command.create({"product_id": cls.product.id, "price_unit": 100.0})],
            }
        )
        cls.invoice_a.action_post()
        cls.invoice_a.message_subscribe(partner_ids=cls.portal_user.partner_id.ids)
        cls.secrets = [
            cls.company_b.name,
            cls.customer_b.name,
            cls.customer_b.phone,
            cls.order_b.name,
            cls.invoice_b.name,
            cls.picking_b.name,
            cls.call_b.subject,
            cls.defect_b.name,
            cls.event_rule_b.name,
        ]
        cls.presale_records_b = cls._create_company_b_presale_records()
        cls.secrets += [record.name for record in cls.presale_records_b.values()]

    @classmethod
    def _create_company_b_presale_records(cls):
        """``{model: record of company B}`` of the pre-sale bridges, when installed: a visit planned
        from company B's call (private: Odoo lets every employee edit the other events), and an
        opportunity of company B."""
        records = {}
        if "calendar.event" in cls.env and "crm_call_id" in cls.env["calendar.event"]._fields:
            start = fields.Datetime.now() - timedelta(days=2)
            records["calendar.event"] = cls.env["calendar.event"].create(
                {
                    "name": "Visita riservata Beta",
                    "start": start,
                    "stop": start + timedelta(hours=1),
                    "user_id": cls.user_b.id,
                    "privacy": "private",
                    "partner_ids": [Command.set((cls.user_b.partner_id | cls.customer_b).ids)],
                    "crm_call_id": cls.call_b.id,
                    "crm_contact_kind": "visit",
                }
            )
        if "crm.lead" in cls.env and "crm_customer_id" in cls.env["crm.lead"]._fields:
            records["crm.lead"] = cls.env["crm.lead"].create(
                {
                    "name": "Opportunita riservata Beta",
                    "type": "opportunity",
                    "partner_id": cls.customer_b.id,
                    "company_id": cls.company_b.id,
                    "expected_revenue": 9000.0,
                }
            )
        return records

    # ------------------------------------------------------------------
    # Probes
    # ------------------------------------------------------------------

    def _probe_create_values(self, model):
        values = {
            "crm.relationship.call": {"partner_id": self.customer_b.id, "subject": "Sonda"},
            "crm.relationship.defect": {"partner_id": self.customer_b.id, "product_id": self.product.id},
            "crm.relationship.equipment": {"partner_id": self.customer_b.id, "product_id": self.product.id},
            "res.partner": {"name": "Sonda", "parent_id": self.customer_b.id},
        }
        if model == "mail.activity":
            return {
                "res_model_id": self.env["ir.model"]._get_id("sale.order"),
                "res_id": self.order_b.id,
                "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                "summary": "Sonda",
            }
        if model == "mail.message":
            return {
                "model": "res.partner",
                "res_id": self.customer_b.id,
                "body": "Sonda",
                "message_type": "comment",
            }
        if model == "calendar.event":
            # the user's own appointment, planning company B's call (which it would close)
            start = fields.Datetime.now() + timedelta(days=1)
            return {
                "name": "Sonda",
                "start": start,
                "stop": start + timedelta(hours=1),
                "crm_call_id": self.call_b.id,
            }
        if model == "rating.rating":
            # an answer forged on company B's defect report (portal add-on)
            return {
                "res_model_id": self.env["ir.model"]._get_id("crm.relationship.defect"),
                "res_id": self.defect_b.id,
                "partner_id": self.customer_b.id,
                "rating": 1,
                "consumed": True,
            }
        if model == "crm.relationship.rfm.segment":
            return {"name": "Sonda"}  # shared by every company
        if model == "mailing.mailing":
            # a mailing to company B's customer (e-mail marketing bridge)
            return {
                "subject": "Sonda",
                "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "mailing_domain": repr([("id", "=", self.customer_b.id)]),
            }
        self.assertIn(model, values, f"Give the RPC test the values {model}.create() is probed with")
        return dict(values[model], company_id=self.company_b.id)

    def _probe_write_values(self, model):
        """Moving a record to company A, or for records without company, rescheduling it."""
        if "company_id" in self.env[model]._fields:
            return {"company_id": self.company_a.id}
        if model == "rating.rating":
            return {"rating": 1, "feedback": "Sonda"}
        if model == "crm.relationship.rfm.segment":
            return {"name": "Sonda"}
        if model == "mailing.mailing":
            return {"mailing_domain": "[]"}
        if model == "calendar.event":
            return {"start": "2030-01-01 09:00:00", "stop": "2030-01-01 10:00:00"}
        return (
            {"date_deadline": "2030-01-01"} if model == "mail.activity" else {"date": "2030-01-01 00:00:00"}
        )

    def _probe_onchange_args(self, model):
        """The wizard's values about company B typed again, every field of the wizard in the form."""
        values = self._wizard_values(model)
        spec = {
            name: {"fields": {"display_name": {}}} if field.relational else {}
            for name, field in self.env[model]._fields.items()
            if name not in ("id", "display_name", *LOG_ACCESS_COLUMNS)
        }
        return dict(values), list(values), spec

    def _probe_search_panel_field(self, model):
        fields_ = {
            "crm.relationship.call": "channel_id",
            "crm.relationship.defect": "category_id",
            "crm.relationship.timeline": "entry_type",
        }
        self.assertIn(model, fields_, f"Give the RPC test a search panel field of {model}")
        return fields_[model]

    def _wizard_values(self, model):
        """Values a user could send to create the wizard about the records of company B."""
        values = {
            "crm.relationship.call.close": {
                "call_id": self.call_b.id,
                "follow_up": "none",
                "no_followup_reason": "Sonda",
            },
            "crm.relationship.call.lookup": {
                "phone": self.customer_b.phone,
                "new_contact_name": "Sonda",
                "new_contact_parent_id": self.customer_b.id,
            },
            "crm.relationship.equipment.lookup": {"serial_number": self.equipment_b.serial_number},
            "crm.relationship.equipment.register": {"company_id": self.company_b.id},
            "crm.relationship.defect.recall": {"defect_id": self.defect_b.id},
            "res.config.settings": {},
        }
        if "crm.relationship.pbx" in self.records_b:
            pbx_b = self.records_b["crm.relationship.pbx"]
            values["crm.relationship.pbx.test.call"] = {"pbx_id": pbx_b.id, "number": self.customer_b.phone}
            values["crm.relationship.pbx.key"] = {"pbx_id": pbx_b.id, "key": "Sonda"}
        self.assertIn(model, values, f"Give the RPC test the values of a {model} about company B")
        return values[model]

    def _target(self, env, model, role):
        """The record the method is called on: the portal customer's own record when it has one,
        else the record of company B (a shared record for models without company)."""
        Model = env[model]
        if Model._transient:
            return Model.create(self._wizard_values(model))
        own = {"res.partner": self.customer_a, "sale.order": self.order_a, "account.move": self.invoice_a}
        company_b = {
            "res.partner": self.customer_b,
            "sale.order": self.order_b,
            "account.move": self.invoice_b,
            "stock.picking": self.picking_b,
            "account.payment": self.payment_b,
            "stock.lot": self.lot_b,
            "crm.relationship.rfm.segment": self.segment,
            "mail.activity": self.activity_b,
            "mail.message": self.message_b,
            **self.records_b,
            **self.presale_records_b,
        }
        records = own.get(model) if role == "portal" and model in own else company_b.get(model)
        self.assertIsNotNone(records, f"Give the RPC test a record of {model} of company B")
        return records[:1].with_env(env)

    def _snapshot(self):
        """Counts of the records our methods create and the stored values of the company-B records."""
        self.env.flush_all()
        self.env.invalidate_all()
        counted = [
            "crm.relationship.call",
            "crm.relationship.defect",
            "crm.relationship.equipment",
            "crm.relationship.event.log",
            "crm.relationship.defect.recall.log",
            "mail.mail",
            "mail.message",
            "mail.activity",
            "mail.followers",
            "crm.relationship.phone.call",
            "res.partner",
            "sale.order",
            "account.move",
            "stock.picking",
            "calendar.event",
            "crm.lead",
        ]
        snapshot = {
            model: self.env[model].sudo().with_context(active_test=False).search_count([])
            for model in counted
            if model in self.env
        }
        records = [self.customer_b, self.order_b, self.invoice_b, self.picking_b, self.payment_b, self.lot_b]
        records += [self.segment]
        records += [self.activity_b, self.message_b]
        records += [recs for recs in self.records_b.values() if recs._auto]
        records += list(self.presale_records_b.values())
        for recs in records:
            stored = [
                name
                for name, field in recs._fields.items()
                if field.store and field.type != "binary" and name not in ("write_date", "write_uid")
            ]
            snapshot[recs._name, tuple(recs.ids)] = recs.sudo().read(stored)
        return snapshot

    def _call(self, env, model, method, role):
        """Call ``model.method`` as RPC would; return ``(refused, text of the result or error)``."""
        self.env.invalidate_all()
        try:
            with self.env.cr.savepoint():
                target = self._target(env, model, role)
                args = METHOD_ARGS[method](self, model) if method in METHOD_ARGS else ()
                result = get_public_method(target, method)(target, *args)
        except REFUSALS as error:
            return True, str(error)
        return False, repr(result)

    # ------------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------------

    def test_the_probe_covers_the_add_ons_methods(self):
        methods = addon_public_methods(self.env)
        self.assertIn(("res.partner", "action_view_crm_timeline"), methods)
        self.assertIn(("crm.relationship.event.rule", "action_run"), methods)
        self.assertNotIn(("crm.relationship.timeline", "init"), methods)
        # the pre-sale bridges' buttons, probed on company B's records of their models
        if "calendar.event" in self.presale_records_b:
            self.assertLessEqual(
                {
                    ("crm.relationship.call", "action_crm_plan_appointment"),
                    ("calendar.event", "action_crm_record_outcome"),
                    ("calendar.event", "create"),
                    ("res.partner", "action_view_crm_appointments"),
                },
                methods,
            )
        if "crm.lead" in self.presale_records_b:
            self.assertLessEqual(
                {
                    ("crm.relationship.call", "action_crm_create_opportunity"),
                    ("crm.lead", "action_view_crm_calls"),
                    ("res.partner", "action_view_crm_opportunities"),
                },
                methods,
            )
        self.assertFalse(
            set(DELIBERATELY_CALLABLE) - methods, "Deliberately callable methods that no longer exist"
        )

    def _probe_all(self, users, role):
        problems = []
        for model, method in sorted(addon_public_methods(self.env)):
            for user in users:
                env = self.env(
                    user=user, context=dict(self.env.context, allowed_company_ids=[self.company_a.id])
                )
                before = self._snapshot()
                refused, text = self._call(env, model, method, role)
                after = self._snapshot()
                who = f"{model}.{method} as {user.login}"
                if before != after:
                    changed = sorted(str(key) for key in before if before[key] != after.get(key))
                    problems.append(f"{who} acted: {changed}")
                if not refused and (model, method) not in DELIBERATELY_CALLABLE:
                    problems.append(f"{who} did not refuse: {text[:200]}")
                if refused and (model, method) in DELIBERATELY_CALLABLE and role != "portal":
                    problems.append(f"{who} refused although deliberately callable: {text[:200]}")
                # Odoo names the companies of the user where the record is (switch company): not a leak.
                secrets = [secret for secret in self.secrets if secret not in user.company_ids.mapped("name")]
                leaked = [secret for secret in secrets if secret and secret in text]
                if leaked:
                    problems.append(f"{who} names records of the other company {leaked}: {text[:300]}")
        return problems

    def test_relationship_users_cannot_act_on_another_companys_records(self):
        self.assertEqual(self._probe_all([self.outsider, self.rel_user], "user"), [])

    def test_portal_customer_cannot_act(self):
        own = self.env(
            user=self.portal_user, context=dict(self.env.context, allowed_company_ids=self.company_a.ids)
        )
        self.assertTrue(self.customer_a.with_env(own).read(["name"]))
        self.assertTrue(self.order_a.with_env(own).read(["name"]))
        self.assertTrue(self.invoice_a.with_env(own).read(["name"]))
        self.assertEqual(self._probe_all([self.portal_user], "portal"), [])

    def test_manager_registers_past_deliveries_only_of_active_companies(self):
        Register = self.env["crm.relationship.equipment.register"].with_user(self.rel_manager)
        wizard = Register.with_context(allowed_company_ids=self.company_a.ids).create(
            {"company_id": self.company_b.id}
        )
        self.assertEqual(wizard.move_line_count, 0)
        with self.assertRaises(AccessError):
            wizard.action_register()

    def test_relationship_user_cannot_run_event_rules(self):
        rule = self.event_rule_b.with_user(self.user_b).with_context(allowed_company_ids=self.company_b.ids)
        with self.assertRaises(AccessError):
            rule.action_run()
        self.assertFalse(rule.sudo().last_run)
