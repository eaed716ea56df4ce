from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.crm_relationship_tools import get_batch_size, notification_action

BATCH_SIZE_PARAM = "crm_relationship.equipment_register_batch_size"
BATCH_SIZE_DEFAULT = 500


class CrmRelationshipEquipmentRegister(models.TransientModel):
    """Register as customer equipment the deliveries validated before the
    products were flagged (or before the module was installed).

    Up to one batch of move lines (``crm_relationship.equipment_register_batch_size``,
    500 by default) is registered in the user's request. More are queued: the
    wizard keeps the request and the scheduled action registers it in batches,
    oldest lines first, committing each batch with the last line registered,
    so a run stopped between two batches resumes after that line. Running it
    twice registers nothing the second time.
    """

    _name = "crm.relationship.equipment.register"
    _description = "Register Past Deliveries as Customer Equipment"
    _transient_max_hours = 24.0  # a queued request waits for the scheduled action

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
    in_background = fields.Boolean(string="Run in the Background", compute="_compute_preview")
    state = fields.Selection(
        [("draft", "To Register"), ("queued", "Registering in the Background"), ("done", "Registered")],
        string="Registration Status",
        default="draft",
        readonly=True,
    )
    last_move_line_id = fields.Many2one(
        "stock.move.line", string="Last Line Registered", readonly=True, ondelete="set null"
    )
    registered_count = fields.Integer(string="Equipment Registered or Updated", readonly=True)

    @api.depends("company_id", "date_from")
    def _compute_preview(self):
        batch_size = self._get_batch_size()
        for wizard in self:
            wizard.update(
                {
                    "move_line_count": 0,
                    "equipment_to_create_count": 0,
                    "equipment_to_update_count": 0,
                    "in_background": False,
                }
            )
            if wizard.company_id not in self.env.companies:
                continue
            wizard.move_line_count = wizard._get_remaining_count()
            if wizard.move_line_count > batch_size:
                # the plan of that many lines is the scheduled action's work
                wizard.in_background = True
                continue
            vals_list, updates, returned = (
                wizard._get_remaining_lines()._crm_get_equipment_registration_plan()
            )
            wizard.equipment_to_create_count = len(vals_list)
            wizard.equipment_to_update_count = len(set(updates) | set(returned))

    @api.readonly
    def onchange(self, values, field_names, fields_spec):
        """The web client computes the preview here, going through the past deliveries without
        registering them (:meth:`action_register` does). Only reads: served by a read replica
        when Odoo has one."""
        return super().onchange(values, field_names, fields_spec)

    @api.model
    def _get_batch_size(self):
        return get_batch_size(self.env, BATCH_SIZE_PARAM, BATCH_SIZE_DEFAULT)

    def _get_remaining_lines(self, limit=None):
        """Customer move lines of the request not gone through yet, oldest first (up to ``limit``)."""
        self.ensure_one()
        if self.company_id not in self.env.companies:
            raise AccessError(self.env._("Choose one of the companies you are working in."))
        return (
            self.env["stock.move.line"]
            .sudo()
            ._crm_get_equipment_lines_to_apply(
                company=self.company_id, date_from=self.date_from, after=self.last_move_line_id, limit=limit
            )
        )

    def _get_remaining_count(self):
        """Number of customer move lines of the request not gone through yet."""
        self.ensure_one()
        MoveLine = self.env["stock.move.line"].sudo()
        domain = MoveLine._crm_get_equipment_lines_to_apply_domain(
            company=self.company_id, date_from=self.date_from, after=self.last_move_line_id
        )
        return MoveLine.search_count(domain)

    def action_register(self):
        """Register the past deliveries now, or queue them for the scheduled action when they
        are more than one batch or while it runs."""
        self.ensure_one()
        move_lines = self._get_remaining_lines()
        cron = self.env.ref(
            "crm_relationship.ir_cron_crm_relationship_equipment_register", raise_if_not_found=False
        )
        if cron and (
            len(move_lines) > self._get_batch_size()
            or not cron.sudo().try_lock_for_update(allow_referencing=True)
        ):
            return self._queue_registration(cron, len(move_lines))
        equipment = self._apply_lines(move_lines)
        if not equipment:
            raise UserError(self.env._("Every past delivery of the flagged products is already registered."))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship.crm_relationship_equipment_action"
        )
        action["domain"] = [("id", "in", equipment.ids)]
        return action

    def _queue_registration(self, cron, count):
        self.write({"state": "queued"})
        cron.sudo()._trigger()
        return notification_action(
            self.env._(
                "%s delivery and return lines are being registered in the background; "
                "the equipment appears in the list as it is registered.",
                count,
            ),
            next_action={"type": "ir.actions.act_window_close"},
        )

    def _apply_lines(self, move_lines):
        """Apply ``move_lines`` to the registry, without follower, message or tracking per unit,
        and remember the last one as the request's progress."""
        self.ensure_one()
        equipment = move_lines.sudo().with_context(tracking_disable=True)._crm_register_equipment()
        if move_lines:
            self.write(
                {
                    "last_move_line_id": move_lines[-1].id,
                    "registered_count": self.registered_count + len(equipment),
                }
            )
        return equipment

    @api.model
    def _cron_register_past_deliveries(self):
        """Register the queued requests, oldest first, one committed batch of move lines at a time."""
        batch_size = self._get_batch_size()
        Cron = self.env["ir.cron"]
        for wizard in self.search([("state", "=", "queued")], order="id"):
            wizard = wizard.with_company(wizard.company_id)
            while wizard.state == "queued":
                move_lines = wizard._get_remaining_lines(limit=batch_size)
                wizard._apply_lines(move_lines)
                left = wizard._get_remaining_count() if len(move_lines) == batch_size else 0
                if not left:
                    wizard.state = "done"
                others = self.search([("state", "=", "queued"), ("id", "!=", wizard.id)])
                remaining = left + sum(request._get_remaining_count() for request in others)
                if not Cron._commit_progress(len(move_lines), remaining=remaining):
                    return
