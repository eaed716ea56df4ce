from odoo import fields, models
from odoo.exceptions import UserError


class CrmRelationshipEquipmentLookup(models.TransientModel):
    """Find a customer's equipment from its serial number, exact or partial."""

    _name = "crm.relationship.equipment.lookup"
    _description = "Equipment Lookup"

    serial_number = fields.Char(required=True, help="The whole serial number, or a part of it.")

    def action_find(self):
        """Open the unit with exactly this serial number, else the list of partial matches."""
        self.ensure_one()
        Equipment = self.env["crm.relationship.equipment"]
        found = Equipment._crm_lookup_serial(self.serial_number)
        if not found:
            found = Equipment.search([("serial_number", "ilike", self.serial_number.strip())], limit=81)
        if not found:
            raise UserError(
                self.env._("No equipment has a serial number matching “%s”.", self.serial_number.strip())
            )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_equipment_action"
        )
        if len(found) == 1:
            action.update({"view_mode": "form", "views": [(False, "form")], "res_id": found.id})
        else:
            action["domain"] = [("id", "in", found.ids)]
        return action
