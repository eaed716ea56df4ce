from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools import SQL, frozendict

from .crm_relationship_tools import check_company_hiding_names, readable_name

WARRANTY_EXPIRING_DAYS = 30
# States of a unit still at its customer.
AT_CUSTOMER_STATES = ("in_service", "under_repair")


class CrmRelationshipEquipment(models.Model):
    """A unit of equipment installed at a customer (the installed base).

    Equipment is registered automatically when a delivery of a product flagged
    "register as customer equipment" is validated (the move lines apply
    themselves to the registry: ``stock.move.line._crm_register_equipment()``,
    with the values of :meth:`_prepare_equipment_values`), by the "Register
    past deliveries" wizard, or by hand for units sold before the module was
    installed.
    """

    _name = "crm.relationship.equipment"
    _description = "Customer Equipment"
    _inherit = (
        "mail.thread",
        "mail.activity.mixin",
        "crm.relationship.customer.document",
        "crm.relationship.call.source.mixin",
        "crm.relationship.indexed.lookup.mixin",
    )
    _order = "delivery_date desc, id desc"
    _check_company_auto = True
    _crm_customer_path = "partner_id"
    _crm_timeline_code = 7
    _crm_card_figures = frozendict(
        equipment=frozendict(crm_equipment_count=0, crm_equipment_warranty_count=0),
    )
    _crm_call_field = "equipment_id"

    name = fields.Char(compute="_compute_name", store=True, readonly=True)
    active = fields.Boolean(default=True, tracking=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
        help="The customer (commercial entity) owning the equipment.",
    )
    site_id = fields.Many2one(
        "res.partner",
        string="Installation Site",
        compute="_compute_site_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        tracking=True,
        check_company=True,
        domain="[('commercial_partner_id', '=', partner_id)]",
        help="Where the equipment is installed: the customer itself or one of its delivery addresses.",
    )
    product_id = fields.Many2one(
        "product.product",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
    )
    product_tracking = fields.Selection(related="product_id.tracking", store=True, string="Product Tracking")
    lot_id = fields.Many2one(
        "stock.lot",
        string="Lot/Serial Number",
        index="btree_not_null",
        tracking=True,
        check_company=True,
        domain="[('product_id', '=', product_id)]",
    )
    serial_number = fields.Char(
        compute="_compute_serial_number",
        store=True,
        readonly=False,
        index="trigram",
        tracking=True,
        help="Serial number of the unit; taken from the lot when there is one, typed in otherwise.",
    )
    quantity = fields.Float(default=1.0, digits="Product Unit", required=True)
    delivery_date = fields.Date(tracking=True, help="Date the unit was delivered to the customer.")
    installation_date = fields.Date(tracking=True)
    sale_line_id = fields.Many2one(
        "sale.order.line", string="Sale Order Line", index="btree_not_null", check_company=True
    )
    sale_order_id = fields.Many2one(
        "sale.order",
        string="Sale Order",
        related="sale_line_id.order_id",
        store=True,
        index="btree_not_null",
    )
    invoice_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        compute="_compute_invoice_ids",
        groups="account.group_account_invoice,account.group_account_readonly",
    )
    picking_id = fields.Many2one(
        "stock.picking", string="Delivery", index="btree_not_null", check_company=True
    )
    move_line_id = fields.Many2one(
        "stock.move.line", string="Delivery Line", index="btree_not_null", readonly=True, copy=False
    )
    return_picking_id = fields.Many2one("stock.picking", string="Return", readonly=True, copy=False)
    return_move_line_id = fields.Many2one(
        "stock.move.line", string="Return Line", index="btree_not_null", readonly=True, copy=False
    )
    warranty_end_date = fields.Date(
        compute="_compute_warranty_end_date",
        store=True,
        readonly=False,
        tracking=True,
        help="Computed from the delivery date and the warranty duration of the product (or its category); "
        "can be changed for this unit.",
    )
    warranty_state = fields.Selection(
        [
            ("in_warranty", "In Warranty"),
            ("expiring", "Expiring Soon"),
            ("expired", "Expired"),
            ("none", "No Warranty"),
        ],
        compute="_compute_warranty_state",
        search="_search_warranty_state",
        help=f"Expiring soon: the warranty ends within {WARRANTY_EXPIRING_DAYS} days.",
    )
    state = fields.Selection(
        [
            ("in_service", "In Service"),
            ("under_repair", "Under Repair"),
            ("returned", "Returned"),
            ("retired", "Retired"),
        ],
        default="in_service",
        required=True,
        tracking=True,
        index=True,
    )
    note = fields.Html(string="Notes")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    parent_id = fields.Many2one(
        "crm.relationship.equipment",
        string="Main Unit",
        index="btree_not_null",
        check_company=True,
        tracking=True,
        domain="[('id', '!=', id), ('partner_id', '=', partner_id)]",
        help="The unit this component or accessory belongs to: it follows the main unit when it moves.",
    )
    child_ids = fields.One2many("crm.relationship.equipment", "parent_id", string="Components")
    child_count = fields.Integer(string="Component Count", compute="_compute_child_count")
    category_id = fields.Many2one(
        "crm.relationship.equipment.category", index="btree_not_null", check_company=True
    )
    properties = fields.Properties(definition="category_id.properties_definition", copy=True)
    call_ids = fields.One2many("crm.relationship.call", "equipment_id", string="Calls")
    defect_ids = fields.One2many("crm.relationship.defect", "equipment_id", string="Defect Reports")

    _lot_company_uniq = models.UniqueIndex(
        "(lot_id, company_id) WHERE lot_id IS NOT NULL AND active AND product_tracking = 'serial'",
        "This serial number is already registered as customer equipment.",
    )
    _serial_number_idx = models.Index("(serial_number) WHERE serial_number IS NOT NULL")
    _quantity_positive = models.Constraint("CHECK (quantity > 0)", "The quantity must be positive.")

    @api.depends("product_id", "serial_number")
    def _compute_name(self):
        for equipment in self:
            name = equipment.product_id.display_name or ""
            if equipment.serial_number:
                name = f"{name} ({equipment.serial_number})" if name else equipment.serial_number
            equipment.name = name

    @api.depends("partner_id")
    def _compute_site_id(self):
        for equipment in self:
            if equipment.site_id.commercial_partner_id != equipment.partner_id.commercial_partner_id:
                equipment.site_id = equipment.partner_id

    @api.depends("lot_id")
    def _compute_serial_number(self):
        for equipment in self:
            if equipment.lot_id:
                equipment.serial_number = equipment.lot_id.name

    @api.depends("sale_order_id")
    def _compute_invoice_ids(self):
        for equipment in self:
            equipment.invoice_ids = equipment.sale_order_id.sudo().invoice_ids.filtered(
                lambda move: move.state != "cancel"
            )

    @api.depends("delivery_date", "product_id")
    def _compute_warranty_end_date(self):
        for equipment in self:
            months = (
                equipment.product_id.product_tmpl_id._get_crm_warranty_months() if equipment.product_id else 0
            )
            if equipment.delivery_date and months:
                equipment.warranty_end_date = equipment.delivery_date + relativedelta(months=months)
            else:
                equipment.warranty_end_date = False

    @api.depends("warranty_end_date")
    def _compute_warranty_state(self):
        today = fields.Date.context_today(self)
        soon = today + timedelta(days=WARRANTY_EXPIRING_DAYS)
        for equipment in self:
            end = equipment.warranty_end_date
            if not end:
                equipment.warranty_state = "none"
            elif end < today:
                equipment.warranty_state = "expired"
            elif end <= soon:
                equipment.warranty_state = "expiring"
            else:
                equipment.warranty_state = "in_warranty"

    def _search_warranty_state(self, operator, value):
        if operator != "in":
            return NotImplemented
        today = fields.Date.context_today(self)
        soon = today + timedelta(days=WARRANTY_EXPIRING_DAYS)
        domains = {
            # "in warranty" covers every unit still covered, including those expiring soon
            "in_warranty": Domain("warranty_end_date", ">=", today),
            "expiring": Domain("warranty_end_date", ">=", today) & Domain("warranty_end_date", "<=", soon),
            "expired": Domain("warranty_end_date", "<", today),
            "none": Domain("warranty_end_date", "=", False),
        }
        return Domain.OR(domains[state] for state in value if state in domains)

    def _compute_child_count(self):
        counts = dict(self._read_group([("parent_id", "in", self.ids)], ["parent_id"], ["__count"]))
        for equipment in self:
            equipment.child_count = counts.get(equipment, 0)

    @api.constrains("partner_id", "site_id")
    def _check_site_id(self):
        env = self.env
        for equipment in self.sudo():
            env["crm.relationship.customer.mixin"]._check_customer_contact(
                equipment.site_id,
                equipment.partner_id,
                lambda site, customer: env._(
                    "The installation site %(site)s does not belong to the customer %(customer)s: "
                    "choose the customer itself or one of its delivery addresses.",
                    site=site,
                    customer=customer,
                ),
            )

    @api.constrains("delivery_date", "warranty_end_date")
    def _check_warranty_end_date(self):
        for equipment in self:
            if (
                equipment.delivery_date
                and equipment.warranty_end_date
                and equipment.warranty_end_date < equipment.delivery_date
            ):
                raise ValidationError(
                    self.env._(
                        "The warranty of %(equipment)s cannot end (%(end)s) "
                        "before the unit was delivered (%(date)s).",
                        equipment=equipment.display_name,
                        end=equipment.warranty_end_date,
                        date=equipment.delivery_date,
                    )
                )

    @api.constrains("lot_id", "product_id", "quantity")
    def _check_lot_id(self):
        env = self.env
        hidden = env._("a record of another company")
        for equipment in self.sudo().filtered("lot_id"):
            if equipment.lot_id.product_id != equipment.product_id:
                raise ValidationError(
                    env._(
                        "The serial number %(serial)s is not a serial number of %(product)s.",
                        serial=readable_name(env, equipment.lot_id, hidden),
                        product=readable_name(env, equipment.product_id, hidden),
                    )
                )
            if equipment.product_tracking == "serial" and equipment.quantity != 1:
                raise ValidationError(
                    self.env._(
                        "A unit with a serial number (%(serial)s) has a quantity of 1.",
                        serial=readable_name(env, equipment.lot_id, hidden),
                    )
                )

    @api.constrains("parent_id")
    def _check_parent_id(self):
        if self._has_cycle():
            raise ValidationError(
                self.env._("A unit cannot be a component of itself or of its own components.")
            )

    @api.model_create_multi
    def create(self, vals_list):
        self._normalize_customer(vals_list)
        company = self.env.company.id
        self._check_serial_available(
            [(vals["lot_id"], vals.get("company_id") or company) for vals in vals_list if vals.get("lot_id")]
        )
        return super().create(vals_list)

    def write(self, vals):
        self._normalize_customer([vals])
        if vals.get("lot_id") or vals.get("company_id") or vals.get("active"):
            units = self if vals.get("active", True) else self.browse()
            self._check_serial_available(
                [
                    (vals.get("lot_id") or unit.lot_id.id, vals.get("company_id") or unit.company_id.id)
                    for unit in units
                    if (vals.get("lot_id") or unit.lot_id) and (unit.active or vals.get("active"))
                ]
            )
        res = super().write(vals)
        if {"partner_id", "site_id"} & vals.keys():
            self._move_components()
        return res

    def _check_company(self, fnames=None):
        return check_company_hiding_names(self, fnames, super()._check_company)

    def _check_serial_available(self, lot_company_pairs):
        """Refuse to register a serial number already registered (and active) in the same company.

        Checked before writing, so the operator gets the customer holding the
        serial number rather than a database error.
        """
        lots = self.env["stock.lot"].browse({lot_id for lot_id, _company in lot_company_pairs})
        serial_lots = lots.filtered(lambda lot: lot.product_id.tracking == "serial")
        if not serial_lots:
            return
        holders = {}
        for other in self.sudo().search([("lot_id", "in", serial_lots.ids), ("id", "not in", self.ids)]):
            holders[other.lot_id.id, other.company_id.id] = other
        seen = set()
        for lot_id, company_id in lot_company_pairs:
            if lot_id not in serial_lots.ids:
                continue
            if (lot_id, company_id) in seen:
                raise ValidationError(
                    self.env._(
                        "The serial number %(serial)s is given to several units.",
                        serial=self.env["stock.lot"].browse(lot_id).name,
                    )
                )
            seen.add((lot_id, company_id))
            other = holders.get((lot_id, company_id))
            if other:
                raise ValidationError(
                    self.env._(
                        "The serial number %(serial)s is already registered to %(customer)s (%(equipment)s).",
                        serial=other.lot_id.name,
                        customer=readable_name(self.env, other.partner_id, self.env._("another customer")),
                        equipment=readable_name(self.env, other, self.env._("a unit you cannot access")),
                    )
                )

    @api.model
    def _normalize_customer(self, vals_list):
        """Store the commercial entity as customer; a contact given as customer becomes the site."""
        for vals in vals_list:
            if not vals.get("partner_id"):
                continue
            partner = self.env["res.partner"].browse(vals["partner_id"])
            if partner.commercial_partner_id != partner:
                vals["partner_id"] = partner.commercial_partner_id.id
                vals.setdefault("site_id", partner.id)

    def _move_components(self):
        """Make the components follow their main unit to its customer and site."""
        for (partner, site), parents in self.grouped(lambda e: (e.partner_id, e.site_id)).items():
            components = parents.child_ids.filtered(
                lambda c, p=partner, s=site: c.partner_id != p or c.site_id != s
            )
            if components:
                components.write({"partner_id": partner.id, "site_id": site.id})

    @api.model
    def _get_at_customer_domain(self):
        """Units still at their customer: in service or under repair (not returned nor retired)."""
        return Domain("state", "in", AT_CUSTOMER_STATES)

    def action_set_in_service(self):
        self.write({"state": "in_service"})

    def action_set_under_repair(self):
        self.write({"state": "under_repair"})

    def action_set_returned(self):
        self.write({"state": "returned"})

    def action_retire(self):
        self.write({"state": "retired"})

    @api.readonly
    def action_view_components(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_equipment_action"
        )
        action["domain"] = [("parent_id", "=", self.id)]
        action["context"] = {
            "default_parent_id": self.id,
            "default_partner_id": self.partner_id.id,
            "default_site_id": self.site_id.id,
        }
        return action

    # ------------------------------------------------------------------
    # Registration from deliveries and returns
    # ------------------------------------------------------------------

    @api.model
    def _prepare_equipment_values(self, move_line, lot=None):
        """Values of the equipment registered for one unit delivered by ``move_line``.

        Override to fill custom fields or properties from the delivery, the sale
        order line or the product. ``lot`` is the serial number of the unit, if any.
        """
        move = move_line.move_id
        sale_line = move.sale_line_id
        site = move_line.picking_id.partner_id or move.partner_id or sale_line.order_id.partner_shipping_id
        customer = (sale_line.order_id.partner_id or site).commercial_partner_id
        if site.commercial_partner_id != customer:
            site = customer
        product_tmpl = move_line.product_id.product_tmpl_id
        date_done = move_line.picking_id.date_done or move_line.date
        return {
            "partner_id": customer.id,
            "site_id": site.id,
            "product_id": move_line.product_id.id,
            "lot_id": lot.id if lot else False,
            "quantity": 1.0,
            "delivery_date": fields.Date.context_today(self, date_done),
            "sale_line_id": sale_line.id,
            "picking_id": move_line.picking_id.id,
            "move_line_id": move_line.id,
            "return_picking_id": False,
            "return_move_line_id": False,
            "company_id": move_line.company_id.id,
            "category_id": product_tmpl._get_crm_equipment_category().id,
            "state": "in_service",
        }

    def _prepare_crm_call_values(self):
        """A call about the unit: its customer and the unit, named after it."""
        self.ensure_one()
        return {"partner_id": self.partner_id.id, self._crm_call_field: self.id, "subject": self.display_name}

    def action_crm_report_defect(self):
        """Open a new defect report about this unit, pre-filled with its customer, product and serial."""
        self.ensure_one()
        Defect = self.env["crm.relationship.defect"]
        return Defect._get_report_defect_action(Defect._prepare_equipment_defect_values(self))

    @api.model
    def _crm_lookup_serial(self, serial):
        """Equipment the user may read whose serial number is exactly ``serial``.

        The call center looks serial numbers up while the customer is on the
        phone: one match on the indexed column
        (``crm.relationship.indexed.lookup.mixin``).
        """
        return self._crm_lookup_exact("serial_number", [(serial or "").strip()])

    # ------------------------------------------------------------------
    # Customer document: the installed base on the card and the timeline
    # ------------------------------------------------------------------

    @api.model
    def _crm_get_timeline_entry_types(self):
        return [("equipment", self.env._("Equipment"))]

    @api.model
    def _crm_get_timeline_depends(self):
        return {
            "crm.relationship.equipment": [
                "delivery_date",
                "name",
                "site_id",
                "partner_id",
                "company_id",
                "state",
            ],
        }

    @api.model
    def _crm_get_timeline_columns(self):
        return {
            "date": "COALESCE(doc.delivery_date::timestamp, doc.create_date)",
            "entry_type": "'equipment'",
            "department": "'logistics'",
            "partner_id": "doc.site_id",
            "is_alert": "doc.state = 'under_repair'",
        }

    @api.model
    def _crm_get_timeline_product_sql(self, product_ids):
        return SQL("SELECT id FROM crm_relationship_equipment WHERE product_id = ANY(%s)", product_ids)

    @api.model
    def _crm_get_timeline_lot_sql(self, pattern):
        return SQL("SELECT id FROM crm_relationship_equipment WHERE serial_number ILIKE %s", pattern)

    @api.model
    def _crm_get_card_figures(self, customers, group):
        """Units at the customer (in service or under repair), and those of them in warranty."""
        domain = self._crm_get_documents_domain(customers) & self._get_at_customer_domain()
        today = fields.Date.context_today(self)
        result = defaultdict(dict)
        for customer, in_warranty, count in self._read_group(
            domain, ["partner_id", "warranty_end_date:day"], ["__count"]
        ):
            values = result[customer.id]
            values["crm_equipment_count"] = values.get("crm_equipment_count", 0) + count
            if in_warranty and fields.Date.to_date(in_warranty) >= today:
                values["crm_equipment_warranty_count"] = values.get("crm_equipment_warranty_count", 0) + count
        return result
