from odoo import api, fields, models
from odoo.exceptions import UserError

# At most this many partial matches: one more than a page of the list (80), so that the list
# shows there are more.
PARTIAL_MATCH_LIMIT = 81


class CrmRelationshipEquipmentLookup(models.TransientModel):
    """Find a customer's equipment from its serial number, exact or partial.

    The units are listed as the serial number is typed (``match_ids``, computed
    in the web client's onchange, on a read replica when Odoo has one); "Find"
    opens the unit, or the list of units, in the main window.
    """

    _name = "crm.relationship.equipment.lookup"
    _description = "Equipment Lookup"

    serial_number = fields.Char(required=True, help="The whole serial number, or a part of it.")
    match_ids = fields.Many2many(
        "crm.relationship.equipment", string="Matching Equipment", compute="_compute_match_ids"
    )
    match_count = fields.Integer(string="Matching Unit Count", compute="_compute_match_ids")

    @api.depends("serial_number")
    def _compute_match_ids(self):
        for wizard in self:
            wizard.match_ids = wizard._find_equipment()
            wizard.match_count = len(wizard.match_ids)

    @api.readonly
    def onchange(self, values, field_names, fields_spec):
        """The web client lists the matching units here as the serial number is typed. Only reads:
        served by a read replica when Odoo has one."""
        return super().onchange(values, field_names, fields_spec)

    def _find_equipment(self):
        """The unit with exactly this serial number, else the units whose serial number contains it."""
        self.ensure_one()
        Equipment = self.env["crm.relationship.equipment"]
        serial = (self.serial_number or "").strip()
        if not serial:
            return Equipment
        return Equipment._crm_lookup_serial(serial) or Equipment.search(
            [("serial_number", "ilike", serial)], limit=PARTIAL_MATCH_LIMIT
        )

    def action_find(self):
        """Open the unit with exactly this serial number, else the list of partial matches."""
        self.ensure_one()
        found = self._find_equipment()
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
