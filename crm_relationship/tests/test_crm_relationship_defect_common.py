from lxml import etree

from odoo import fields
from odoo.tests import new_test_user

from .common import CrmRelationshipCase


class CrmRelationshipDefectCase(CrmRelationshipCase):
    """A lot-tracked boiler sold to several customers, the people of the three departments and helpers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Defect = cls.env["crm.relationship.defect"]
        cls.Route = cls.env["crm.relationship.defect.route"]
        cls.env["res.lang"]._activate_lang("it_IT")
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1)
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.company.partner_id.lang = "en_US"
        cls.salesperson = new_test_user(
            cls.env,
            login="defect_sales",
            name="Sara Venditrice",
            email="sara.sales@example.com",
            groups="sales_team.group_sale_salesman,crm_relationship.crm_relationship_group_user",
        )
        cls.production_user = new_test_user(
            cls.env,
            login="defect_production",
            name="Pietro Produzione",
            email="pietro.production@example.com",
            lang="it_IT",
            groups="crm_relationship.crm_relationship_group_user",
        )
        cls.call_center_user = new_test_user(
            cls.env,
            login="defect_call_center",
            name="Carla Centralino",
            email="carla.callcenter@example.com",
            groups="crm_relationship.crm_relationship_group_user",
        )
        cls.rel_user.email = "paola.operator@example.com"
        cls.company.write(
            {
                "crm_defect_production_user_id": cls.production_user.id,
                "crm_defect_call_center_user_ids": [fields.Command.set(cls.call_center_user.ids)],
            }
        )
        cls.heating = cls.env["product.category"].create({"name": "Heating"})
        cls.boilers = cls.env["product.category"].create(
            {"name": "Wall Boilers", "parent_id": cls.heating.id}
        )
        cls.pumps = cls.env["product.category"].create({"name": "Heat Pumps"})
        cls.boiler = cls.env["product.product"].create(
            {
                "name": "Boiler CX24",
                "is_storable": True,
                "tracking": "lot",
                "categ_id": cls.boilers.id,
                "crm_register_equipment": True,
                "crm_warranty_months": 24,
            }
        )
        cls.pump = cls.env["product.product"].create(
            {"name": "Heat Pump HP9", "is_storable": True, "tracking": "lot", "categ_id": cls.pumps.id}
        )
        cls.lot = cls._create_lot(cls.boiler, "CX24-L001", 100)
        cls.other_lot = cls._create_lot(cls.boiler, "CX24-L002", 100)
        cls.pump_lot = cls._create_lot(cls.pump, "HP9-L001", 10)
        cls.customer = cls._create_call_customer(
            "Rossi Impianti",
            email="info@rossi.example.com",
            contacts=[("Marco Rossi", "+39 02 1234567")],
            user_id=cls.salesperson.id,
        )
        cls.contact = cls.customer.child_ids
        cls.noise = cls.env.ref("crm_relationship.crm_relationship_defect_category_noise")

    @classmethod
    def _create_lot(cls, product, name, quantity, company=None):
        company = company or cls.company
        lot = cls.env["stock.lot"].create({"name": name, "product_id": product.id, "company_id": company.id})
        location = cls.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1).lot_stock_id
        cls.env["stock.quant"]._update_available_quantity(product, location, quantity, lot_id=lot)
        return lot

    @classmethod
    def _deliver(cls, customer, product, lot, quantity=1):
        """Sell and deliver ``quantity`` units of ``lot`` to ``customer``; return the delivery."""
        order = cls.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "order_line": [
                    fields.Command.create({"product_id": product.id, "product_uom_qty": quantity})
                ],
            }
        )
        order.action_confirm()
        picking = order.picking_ids
        picking.action_assign()
        for move in picking.move_ids:
            move.move_line_ids.unlink()
            cls.env["stock.move.line"].create(
                {
                    "move_id": move.id,
                    "picking_id": picking.id,
                    "product_id": move.product_id.id,
                    "lot_id": lot.id,
                    "quantity": quantity,
                    "location_id": move.location_id.id,
                    "location_dest_id": move.location_dest_id.id,
                }
            )
            move.picked = True
        picking.with_context(skip_sms=True, skip_backorder=True).button_validate()
        return picking

    @classmethod
    def _equipment_of(cls, customer, lot=None):
        domain = [("partner_id", "=", customer.id)]
        if lot:
            domain.append(("lot_id", "=", lot.id))
        return cls.env["crm.relationship.equipment"].search(domain)

    @classmethod
    def _create_defect(cls, user=None, **values):
        Defect = cls.env["crm.relationship.defect"]
        if user:
            Defect = Defect.with_user(user)
        return Defect.create(
            dict(
                {
                    "partner_id": cls.customer.id,
                    "contact_id": cls.contact.id,
                    "product_id": cls.boiler.id,
                    "lot_id": cls.lot.id,
                    "severity": "normal",
                    "description": "<p>The boiler makes a loud noise at ignition.</p>",
                },
                **values,
            )
        )

    @classmethod
    def _form_spec(cls, records):
        """The ``web_read`` specification of the form view of ``records``' model for their user, as the
        web client builds it: every field of the form, the display name of the many2one fields, the
        columns of the x2many lists (with their limit)."""
        views = records.get_views([(False, "form")])
        models = views["models"]

        def spec(node, model):
            result = {}
            for field in node.iter("field"):
                if next(field.iterancestors("list", "kanban", "form"), None) is not node:
                    continue  # a column of an x2many list, read with its field
                info = models[model]["fields"][field.get("name")]
                sub = field.find("list")
                if sub is not None:
                    value = {"fields": spec(sub, info["relation"]), "limit": int(sub.get("limit") or 40)}
                elif info["type"] in ("many2one", "one2many", "many2many"):
                    value = {"fields": {"display_name": {}}}
                else:
                    value = {}
                result.setdefault(field.get("name"), value)
            return result

        return spec(etree.fromstring(views["views"]["form"]["arch"]), records._name)
