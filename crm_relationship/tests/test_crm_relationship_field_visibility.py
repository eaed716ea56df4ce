import inspect
import re
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import CrmRelationshipCase

OUR_MODULES = (
    "crm_relationship",
    "crm_relationship_calendar",
    "crm_relationship_crm",
    "crm_relationship_mrp",
    "crm_relationship_phone",
    "crm_relationship_portal",
    "crm_relationship_mass_mailing",
)

PORTAL = "portal"
INTERNAL = "internal"
USER = "user"
MANAGER = "manager"
ROLES = (PORTAL, INTERNAL, USER, MANAGER)

NOBODY = frozenset()
EVERYONE = frozenset(ROLES)
EMPLOYEES = frozenset({INTERNAL, USER, MANAGER})
RELATIONSHIP = frozenset({USER, MANAGER})
MANAGERS = frozenset({MANAGER})

# Who reads each field our add-ons add to Odoo's models, on a record that
# role may otherwise read. A field missing here makes the test fail: decide.
PARTNER_FIELDS = {
    # The card's figures (counts, dates, states, amounts): Relationship Users.
    **dict.fromkeys(
        [
            "crm_currency_id",
            "crm_quotation_count",
            "crm_quotation_amount",
            "crm_quotation_expired_count",
            "crm_order_count",
            "crm_order_amount",
            "crm_order_to_deliver_count",
            "crm_order_to_invoice_count",
            "crm_first_purchase_date",
            "crm_last_purchase_date",
            "crm_delivery_count",
            "crm_delivery_open_count",
            "crm_return_count",
            "crm_last_delivery_date",
            "crm_invoice_count",
            "crm_refund_count",
            "crm_invoiced_amount",
            "crm_invoiced_this_year",
            "crm_invoiced_last_year",
            "crm_amount_due",
            "crm_amount_overdue",
            "crm_last_payment_date",
            "crm_last_contact_date",
            "crm_alert_message",
            "crm_timeline_ids",
            "crm_call_count",
            "crm_channel_share",
            "crm_main_channel_id",
            "crm_preferred_channel_id",
            "crm_call_ids",
            "crm_equipment_ids",
            "crm_equipment_count",
            "crm_equipment_warranty_count",
            "crm_event_log_ids",
            "crm_event_count",
            "crm_defect_count",
            "crm_defect_open_count",
            # RFM scores and segment: purchase behaviour shown on the card.
            "crm_rfm_recency",
            "crm_rfm_frequency",
            "crm_rfm_monetary",
            "crm_rfm_score",
            "crm_segment_id",
            "crm_segment_move_ids",
            # Predicted value: probability still active, expected purchases and revenue, the model.
            "crm_value_model_id",
            "crm_probability_alive",
            "crm_predicted_purchases_90d",
            "crm_predicted_purchases_12m",
            "crm_predicted_revenue_12m",
            "crm_predicted_currency_id",
            "crm_high_predicted_value",
            # Customer satisfaction (portal add-on): last answer, 12-month average and response rate.
            "crm_rating_last_text",
            "crm_rating_last_date",
            "crm_rating_last_document",
            "crm_rating_avg",
            "crm_rating_count",
            "crm_rating_request_count",
            "crm_rating_response_rate",
            # Appointments and visits (calendar add-on): held, planned, the last and the next one.
            "crm_appointment_count",
            "crm_appointment_planned_count",
            "crm_last_appointment_date",
            "crm_next_appointment",
            # Pipeline (CRM add-on): open leads and opportunities, won and lost, the next sales activity.
            "crm_lead_count",
            "crm_opportunity_count",
            "crm_opportunity_amount",
            "crm_opportunity_weighted_amount",
            "crm_opportunity_stages",
            "crm_opportunity_won_count",
            "crm_opportunity_won_amount",
            "crm_opportunity_lost_count",
            "crm_opportunity_lost_reasons",
            "crm_opportunity_next_activity",
        ],
        RELATIONSHIP,
    ),
    # Summary of activities planned on documents the user may not open.
    **dict.fromkeys(
        [
            "crm_next_action_date",
            "crm_next_action_user_id",
            "crm_next_action_summary",
            "crm_has_next_action",
            "crm_next_action_overdue",
            "crm_next_activity_id",
        ],
        RELATIONSHIP,
    ),
    # Margin, cost to serve and payment behaviour: managers, as the profitability analysis.
    **dict.fromkeys(["crm_margin_this_year", "crm_cost_to_serve_this_year", "crm_payment_delay"], MANAGERS),
}
PRODUCT_FIELDS = {
    # Equipment registration settings of products: product configuration for the staff, kept when
    # anyone who manages products duplicates one; never shown to portal or public users.
    "crm_register_equipment": EMPLOYEES,
    "crm_warranty_months": EMPLOYEES,
    "crm_equipment_category_id": EMPLOYEES,
}
EXPECTED_READERS = {
    **{("res.partner", name): readers for name, readers in PARTNER_FIELDS.items()},
    # res.users delegates to res.partner: the same decision, read on the user record.
    **{("res.users", name): readers for name, readers in PARTNER_FIELDS.items()},
    # Orders need Sales rights, which none of the probed roles has: a salesperson who is also a
    # Relationship User reads the alerts (test_salesperson_reads_order_alerts_with_the_group).
    ("sale.order", "crm_alert_message"): NOBODY,
    # The lots themselves are readable by Relationship Users only (plus Inventory users, not probed here).
    ("stock.lot", "crm_equipment_ids"): RELATIONSHIP,
    ("stock.lot", "crm_equipment_count"): RELATIONSHIP,
    **{("product.template", name): readers for name, readers in PRODUCT_FIELDS.items()},
    **{("product.product", name): readers for name, readers in PRODUCT_FIELDS.items()},
    **{("product.category", name): readers for name, readers in PRODUCT_FIELDS.items()},
    # Cost to serve inputs: managers; default people involved in defects: Relationship Users.
    ("res.company", "crm_call_hourly_cost"): MANAGERS,
    ("res.company", "crm_warranty_defect_cost"): MANAGERS,
    ("res.company", "crm_defect_production_user_id"): RELATIONSHIP,
    ("res.company", "crm_defect_call_center_user_ids"): RELATIONSHIP,
    # Settings are for administrators (model access); the fields carry the company fields' groups.
    ("res.config.settings", "crm_call_hourly_cost"): NOBODY,
    ("res.config.settings", "crm_warranty_defect_cost"): NOBODY,
    ("res.config.settings", "crm_defect_production_user_id"): NOBODY,
    ("res.config.settings", "crm_defect_call_center_user_ids"): NOBODY,
    # Customer portal: the limits of the files customers attach, settings for administrators.
    ("res.config.settings", "crm_portal_attachment_types"): NOBODY,
    ("res.config.settings", "crm_portal_attachment_max_size"): NOBODY,
    ("res.config.settings", "crm_portal_attachment_max_count"): NOBODY,
    # Appointments (calendar add-on): who the event is with, the customer, the company whose card
    # shows it, visit or appointment, planned or held: facts of the event itself, read by whoever
    # reads the event (employees, and the portal customer attending it).
    **dict.fromkeys(
        [
            ("calendar.event", "crm_partner_id"),
            ("calendar.event", "crm_customer_id"),
            ("calendar.event", "crm_company_id"),
            ("calendar.event", "crm_contact_kind"),
            ("calendar.event", "crm_state"),
        ],
        EVERYONE,
    ),
    # The call the event plans, its status and outcome: the call center's records.
    ("calendar.event", "crm_call_id"): RELATIONSHIP,
    ("calendar.event", "crm_call_state"): RELATIONSHIP,
    ("calendar.event", "crm_call_outcome_id"): RELATIONSHIP,
    # Leads need Sales rights, which none of the probed roles has: a salesperson reads the customer
    # of a lead, and its calls when also a Relationship User (crm_relationship_crm's security tests).
    ("crm.lead", "crm_customer_id"): NOBODY,
    ("crm.lead", "crm_call_ids"): NOBODY,
    ("crm.lead", "crm_call_count"): NOBODY,
    # E-mail marketing bridge: a mailing's previewed audience and control group are for marketing
    # users (none of the probed roles); a saved audience names its segment for whoever reads filters
    # (marketing users); the guard's share is read with the mailing's company, in the mail queue too.
    **dict.fromkeys(
        [
            ("mailing.mailing", "crm_audience_count"),
            ("mailing.mailing", "crm_audience_date"),
            ("mailing.mailing", "crm_control_share"),
            ("mailing.mailing", "crm_audience_ids"),
            ("mailing.mailing", "crm_held_back_count"),
            ("mailing.filter", "crm_segment_id"),
            ("res.config.settings", "crm_mailing_guard_share"),
        ],
        NOBODY,
    ),
    ("res.company", "crm_mailing_guard_share"): EVERYONE,
    # Telephony: who answers which extension and queue, for the call center and its managers.
    ("res.users", "crm_pbx_extension_ids"): RELATIONSHIP,
    ("res.users", "crm_pbx_queue_ids"): RELATIONSHIP,
}

# Acceptance probes of the issue: figures a portal customer or an employee
# outside the Relationship groups must not read.
CARD_PROBE_FIELDS = [
    "crm_amount_due",
    "crm_invoiced_amount",
    "crm_next_action_summary",
    "crm_alert_message",
    "crm_segment_id",
    "crm_amount_overdue",
    "crm_invoiced_this_year",
    "crm_rfm_score",
    "crm_defect_open_count",
]


@tagged("post_install", "-at_install")
class TestCrmRelationshipFieldVisibility(CrmRelationshipCase):
    """Every field the add-ons add to Odoo's models is read only by the roles decided above."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._create_call_customer("Ferramenta Segreta", phone="+39 02 5550101")
        cls.portal_user = new_test_user(
            cls.env,
            login="portal_customer",
            name="Cliente Portale",
            groups="base.group_portal",
        )
        cls.portal_user.partner_id.parent_id = cls.customer
        cls.users = {
            PORTAL: cls.portal_user,
            INTERNAL: cls.internal_user,
            USER: cls.rel_user,
            MANAGER: cls.rel_manager,
        }
        product = cls.env["product.product"].create(
            {"name": "Caldaia Riservata", "type": "consu", "list_price": 700.0, "crm_warranty_months": 12}
        )
        cls.product = product
        # An overdue invoice and an internal activity on a quotation the customer cannot open.
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_date": fields.Date.today() - timedelta(days=90),
                "invoice_date_due": fields.Date.today() - timedelta(days=60),
                "invoice_line_ids": [
                    Command.create({"product_id": product.id, "quantity": 1, "price_unit": 700.0})
                ],
            }
        )
        invoice.action_post()
        cls.invoice = invoice
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})],
            }
        )
        cls.order.message_subscribe(partner_ids=cls.portal_user.partner_id.ids)
        cls.order.activity_schedule(
            "mail.mail_activity_data_todo",
            summary="Chiedere sconto riservato",
            user_id=cls.rel_user.id,
            date_deadline=fields.Date.today() + timedelta(days=3),
        )
        cls.segment = cls.env["crm.relationship.rfm.segment"].create({"name": "At Risk", "score_max": 6})
        cls.customer.sudo().write({"crm_segment_id": cls.segment.id, "crm_rfm_score": 5})
        cls.lot = cls.env["stock.lot"].create(
            {
                "name": "RIS-0001",
                "product_id": cls.env["product.product"]
                .create({"name": "Caldaia Seriale", "is_storable": True, "tracking": "serial"})
                .id,
            }
        )
        cls.settings = cls.env["res.config.settings"].create({})
        if "calendar.event" in cls.env:
            # an appointment the portal customer attended, planned from a call (calendar add-on)
            start = fields.Datetime.now() - timedelta(days=2)
            cls.event = cls.env["calendar.event"].create(
                {
                    "name": "Visita riservata",
                    "start": start,
                    "stop": start + timedelta(hours=1),
                    "partner_ids": [Command.set((cls.env.user.partner_id | cls.portal_user.partner_id).ids)],
                    **(
                        {"crm_call_id": cls._create_call(cls.customer).id}
                        if "crm_call_id" in cls.env["calendar.event"]._fields
                        else {}
                    ),
                }
            )
        if "mailing.mailing" in cls.env:
            # a mailing to the segment and its saved audience (e-mail marketing bridge)
            cls.mailing = cls.env["mailing.mailing"].create(
                {
                    "subject": "Offerta riservata",
                    "mailing_model_id": cls.env["ir.model"]._get_id("res.partner"),
                    "mailing_domain": repr([("crm_segment_id", "=", cls.segment.id)]),
                }
            )
            cls.mailing_filter = cls.env["mailing.filter"].search([("crm_segment_id", "=", cls.segment.id)])
        if "crm.lead" in cls.env:
            cls.lead = cls.env["crm.lead"].create(
                {"name": "Opportunità riservata", "type": "opportunity", "partner_id": cls.customer.id}
            )

    def _probe_record(self, model):
        """A record of ``model`` each role may read apart from our fields."""
        records = {
            "res.partner": self.customer,
            "res.users": self.portal_user,
            "sale.order": self.order,
            "stock.lot": self.lot,
            "product.product": self.product,
            "product.template": self.product.product_tmpl_id,
            "product.category": self.product.categ_id,
            "res.company": self.company,
            "res.config.settings": self.settings,
        }
        if "calendar.event" in self.env:
            records["calendar.event"] = self.event
        if "crm.lead" in self.env:
            records["crm.lead"] = self.lead
        if "mailing.mailing" in self.env:
            records["mailing.mailing"] = self.mailing
            records["mailing.filter"] = self.mailing_filter
        self.assertIn(model, records, f"Give the field-visibility test a record of {model} to read.")
        return records[model]

    def _as(self, record, role):
        """``record`` for the user of ``role``, in the web client's context of its company."""
        user = self.users[role]
        return record.with_user(user).with_context(allowed_company_ids=user.company_id.ids)

    def _can_read(self, record, role, fname):
        self.env.invalidate_all()
        try:
            self._as(record, role).read([fname])
        except AccessError:
            return False
        return True

    def _added_fields(self):
        """``{(model, field name)}`` of the fields our add-ons define on models they do not own."""
        Data = self.env["ir.model.data"]
        modules_by_res = {}
        for data in Data.search([("model", "in", ("ir.model", "ir.model.fields"))]):
            modules_by_res.setdefault((data.model, data.res_id), set()).add(data.module)
        ours = set(OUR_MODULES)
        own_models = set(
            self.env["ir.model"]
            .browse(
                [
                    res_id
                    for (kind, res_id), mods in modules_by_res.items()
                    if kind == "ir.model" and mods <= ours
                ]
            )
            .mapped("model")
        )
        added = self.env["ir.model.fields"].browse(
            [
                res_id
                for (kind, res_id), mods in modules_by_res.items()
                if kind == "ir.model.fields" and mods <= ours
            ]
        )
        return {(field.model, field.name) for field in added if field.model not in own_models}

    def test_every_added_field_has_a_decision(self):
        added = self._added_fields()
        self.assertIn(("res.partner", "crm_amount_due"), added)
        self.assertEqual(
            sorted(added - set(EXPECTED_READERS)),
            [],
            "New fields on Odoo's models: decide who reads them (groups= or # public: <why>), list them here",
        )
        installed = {(model, fname) for model, fname in EXPECTED_READERS if fname in self.env[model]._fields}
        self.assertEqual(sorted(installed - added), [], "Fields listed here no longer exist")

    def test_readers_of_every_added_field(self):
        mismatches = []
        for model, fname in sorted(self._added_fields()):
            record = self._probe_record(model)
            readers = {role for role in ROLES if self._can_read(record, role, fname)}
            expected = EXPECTED_READERS.get((model, fname))
            if readers != expected:
                mismatches.append(
                    f"{model}.{fname}: read by {sorted(readers)}, expected {sorted(expected or ())}"
                )
        self.assertEqual(mismatches, [])

    def test_public_fields_say_why(self):
        """A field our add-ons add without ``groups=`` carries ``# public: <why>`` on the line above."""
        missing = []
        for model, fname in sorted(self._added_fields()):
            field = self.env[model]._fields[fname]
            if field.groups or field.inherited or field.related:
                continue
            for cls in type(self.env[model]).mro():
                if cls.__module__.startswith("odoo.addons.crm_relationship") and fname in vars(cls):
                    source = inspect.getsource(cls)
                    if not re.search(rf"# public: \S.*\n\s*{fname} = fields\.", source):
                        missing.append(f"{model}.{fname}")
                    break
        self.assertEqual(missing, [])

    def _assert_card_figures_refused(self, customer):
        """Reading any card figure, or the segment's name, as RPC and the web client do, is refused."""
        for fname in CARD_PROBE_FIELDS:
            with self.subTest(field=fname):
                self.env.invalidate_all()
                with self.assertRaises(AccessError):
                    customer.read([fname])
                with self.assertRaises(AccessError):
                    customer.web_read({fname: {}})
        with self.assertRaises(AccessError):
            customer.web_read({"crm_segment_id": {"fields": {"display_name": {}}}})

    def test_portal_customer_reads_no_card_figure(self):
        customer = self._as(self.customer, PORTAL)
        self.assertEqual(customer.read(["name"])[0]["name"], "Ferramenta Segreta")
        self._assert_card_figures_refused(customer)
        with self.assertRaises(AccessError):
            self._as(self.portal_user, PORTAL).read(["crm_amount_due"])
        with self.assertRaises(AccessError):
            self._as(self.order, PORTAL).read(["crm_alert_message"])
        with self.assertRaises(AccessError):
            customer.search([("crm_has_next_action", "=", True)])
        with self.assertRaises(AccessError):
            customer.search([("crm_segment_id", "=", self.segment.id)])

    def test_employee_outside_the_groups_reads_no_card_figure(self):
        customer = self._as(self.customer, INTERNAL)
        self.assertEqual(customer.read(["name"])[0]["name"], "Ferramenta Segreta")
        self._assert_card_figures_refused(customer)
        with self.assertRaises(AccessError):
            customer.search([("crm_last_contact_date", "<", "2000-01-01")])

    def test_relationship_user_reads_the_card_but_not_margins(self):
        customer = self._as(self.customer, USER)
        values = customer.web_read(
            {
                "crm_amount_due": {},
                "crm_invoiced_amount": {},
                "crm_next_action_summary": {},
                "crm_alert_message": {},
                "crm_segment_id": {"fields": {"display_name": {}}},
            }
        )[0]
        self.assertEqual(values["crm_amount_due"], self.invoice.amount_total)
        self.assertEqual(values["crm_invoiced_amount"], self.invoice.amount_total)
        self.assertIn("Chiedere sconto riservato", values["crm_next_action_summary"])
        self.assertIn("Overdue invoices", values["crm_alert_message"])
        self.assertEqual(values["crm_segment_id"]["display_name"], "At Risk")
        for fname in ("crm_margin_this_year", "crm_cost_to_serve_this_year", "crm_payment_delay"):
            with self.subTest(field=fname), self.assertRaises(AccessError):
                customer.read([fname])
        self.assertIn(
            "crm_margin_this_year", self._as(self.customer, MANAGER).read(["crm_margin_this_year"])[0]
        )

    def test_salesperson_reads_order_alerts_with_the_group(self):
        salesperson = new_test_user(
            self.env,
            login="sales_rel",
            groups="sales_team.group_sale_salesman_all_leads,crm_relationship.crm_relationship_group_user",
        )
        plain_salesperson = new_test_user(
            self.env, login="sales_plain", groups="sales_team.group_sale_salesman_all_leads"
        )
        order = self.order.with_context(allowed_company_ids=self.company.ids)
        self.assertIn(
            "Overdue invoices",
            order.with_user(salesperson).read(["crm_alert_message"])[0]["crm_alert_message"],
        )
        self.env.invalidate_all()
        with self.assertRaises(AccessError):
            order.with_user(plain_salesperson).read(["crm_alert_message"])

    def test_employee_outside_the_groups_duplicates_a_partner(self):
        channel = self.env["crm.relationship.call.channel"].search([], limit=1)
        self.customer.crm_preferred_channel_id = channel
        self.env.invalidate_all()
        contact_manager = new_test_user(
            self.env, login="contact_creator", groups="base.group_user,base.group_partner_manager"
        )
        copy = self.customer.with_user(contact_manager).copy()
        self.assertFalse(copy.sudo().crm_preferred_channel_id)

    def test_forms_of_odoo_models_open_without_the_restricted_fields(self):
        """Outside the groups, the inherited forms load and carry none of the restricted fields."""
        for role in (INTERNAL, USER):
            env = self._as(self.customer, role).env
            for model, view_types in (
                ("res.partner", ["form", "list", "kanban", "search"]),
                ("product.template", ["form"]),
            ):
                views = env[model].get_views([(False, view_type) for view_type in view_types])
                readable = {
                    fname
                    for (field_model, fname), readers in EXPECTED_READERS.items()
                    if field_model == model and role in readers
                }
                for view_type in view_types:
                    arch = views["views"][view_type]["arch"]
                    for field_model, fname in EXPECTED_READERS:
                        if field_model == model and fname not in readable:
                            self.assertNotIn(f'name="{fname}"', arch, f"{model} {view_type} as {role}")
        self.assertIn(
            'name="crm_preferred_channel_id"',
            self._as(self.customer, USER).get_views([(False, "form")])["views"]["form"]["arch"],
        )
