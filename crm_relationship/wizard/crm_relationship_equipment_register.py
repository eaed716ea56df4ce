from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class CrmRelationshipEquipmentRegister(models.TransientModel):
    """Register as customer equipment the deliveries validated before the
    products were flagged (or before the module was installed).

    Running it twice registers nothing the second time.
    """

    _name = "crm.relationship.equipment.register"
    _description = "Register Past Deliveries as Customer Equipment"

    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    date_from = fields.Date(
        string="Delivered Since",
        help="Leave empty to go through every past delivery of the flagged products.",
    )
    move_line_count = fields.Integer(string="Delivery and Return Lines", compute="_compute_preview")
    equipment_to_create_count = fields.Integer(string="Equipment to Register", compute="_compute_preview")
    equipment_to_update_count = fields.Integer(string="Equipment to Update", compute="_compute_preview")

    @api.depends("company_id", "date_from")
    def _compute_preview(self):
        Equipment = self.env["crm.relationship.equipment"].sudo()
        for wizard in self:
            if wizard.company_id not in self.env.companies:
                wizard.update(
                    {"move_line_count": 0, "equipment_to_create_count": 0, "equipment_to_update_count": 0}
                )
                continue
            move_lines = wizard._get_move_lines()
            vals_list, updates, returned = Equipment._get_registration_plan(move_lines)
            wizard.move_line_count = len(move_lines)
            wizard.equipment_to_create_count = len(vals_list)
            wizard.equipment_to_update_count = len(set(updates) | set(returned))

    def _get_move_lines(self):
        self.ensure_one()
        if self.company_id not in self.env.companies:
            raise AccessError(self.env._("Choose one of the companies you are working in."))
        return (
            self.env["crm.relationship.equipment"]
            .sudo()
            ._get_unregistered_move_lines(company=self.company_id, date_from=self.date_from)
        )

    def action_register(self):
        self.ensure_one()
        equipment = (
            self.env["crm.relationship.equipment"].sudo()._register_from_move_lines(self._get_move_lines())
        )
        if not equipment:
            raise UserError(self.env._("Every past delivery of the flagged products is already registered."))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_equipment_action"
        )
        action["domain"] = [("id", "in", equipment.ids)]
        return action
