from collections import defaultdict

from odoo import api, models
from odoo.fields import Domain
from odoo.tools import SQL, float_round


class StockMoveLine(models.Model):
    _inherit = "stock.move.line"

    # What a customer physically received or sent back, by the locations the
    # goods crossed: the rule of the equipment registry, the lot traceability
    # of defects and the defect analyses. (The delivery notes shown on a card
    # are ``stock.picking._crm_get_customer_document_domain()``: documents,
    # whatever their lines.)

    @api.model
    def _crm_get_customer_delivery_domain(self):
        """Done move lines bringing goods into a customer location from outside."""
        return (
            Domain("state", "=", "done")
            & Domain("location_dest_id.usage", "=", "customer")
            & Domain("location_id.usage", "!=", "customer")
        )

    @api.model
    def _crm_get_customer_return_domain(self):
        """Done move lines bringing goods back from a customer location."""
        return (
            Domain("state", "=", "done")
            & Domain("location_id.usage", "=", "customer")
            & Domain("location_dest_id.usage", "!=", "customer")
        )

    @api.model
    def _crm_customer_flow_sql(self, line, source, destination):
        """SQL twin of the two domains above, for SQL views: the condition that
        the move line ``line`` (its locations ``source`` and ``destination``,
        all table aliases) is a delivery to or a return from a customer."""
        return SQL(
            "(%s = 'done' AND (%s = 'customer') != (%s = 'customer'))",
            SQL.identifier(line, "state"),
            SQL.identifier(destination, "usage"),
            SQL.identifier(source, "usage"),
        )

    @api.model
    def _crm_customer_quantity_sql(self, line, source):
        """Quantity of a customer flow in the product's unit: positive for a
        delivery, negative for a return (see :meth:`_crm_customer_flow_sql`)."""
        return SQL(
            "CASE WHEN %s = 'customer' THEN -%s ELSE %s END",
            SQL.identifier(source, "usage"),
            SQL.identifier(line, "quantity_product_uom"),
            SQL.identifier(line, "quantity_product_uom"),
        )

    # ------------------------------------------------------------------
    # Customer equipment registered from deliveries and returns
    # ------------------------------------------------------------------
    # Like the stock valuation of stock_account, the equipment registry is a
    # consequence of the goods moved: the picking's ``_action_done`` asks its
    # move lines to apply themselves to the registry, and so does the "Register
    # past deliveries" wizard. ``crm.relationship.equipment`` keeps the records
    # and ``_prepare_equipment_values()``, the values of a registered unit.

    @api.model
    def _crm_get_equipment_flow_domain(self):
        """Deliveries to customers and returns of products registered as customer equipment."""
        registered = self.env["product.template"]._get_crm_equipment_domain()
        return Domain("product_id.product_tmpl_id", "any", registered) & (
            self._crm_get_customer_delivery_domain() | self._crm_get_customer_return_domain()
        )

    @api.model
    def _crm_get_equipment_lines_to_apply(self, company=None, date_from=None, after=None, limit=None):
        """Past deliveries to customers and returns of registered products, applied to the
        registry or not, in the order they are applied (date, then id).

        What the "Register past deliveries" wizard goes through: ``after`` (a
        move line) and ``limit`` give the next batch of a registration in batches.
        """
        return self.search(
            self._crm_get_equipment_lines_to_apply_domain(company, date_from, after),
            order="date, id",
            limit=limit,
        )

    @api.model
    def _crm_get_equipment_lines_to_apply_domain(self, company=None, date_from=None, after=None):
        """Domain of :meth:`_crm_get_equipment_lines_to_apply`; override to narrow the past deliveries."""
        domain = self._crm_get_equipment_flow_domain()
        if company:
            domain &= Domain("company_id", "=", company.id)
        if date_from:
            domain &= Domain("date", ">=", date_from)
        if after:
            domain &= Domain("date", ">", after.date) | (
                Domain("date", "=", after.date) & Domain("id", ">", after.id)
            )
        return domain

    def _crm_get_unit_count(self):
        """Number of units this line moves, in the product's unit of measure."""
        self.ensure_one()
        quantity = self.product_uom_id._compute_quantity(self.quantity, self.product_id.uom_id)
        return int(float_round(quantity, precision_digits=0))

    def _crm_has_serial_number(self):
        """Whether this line moves a unit known by its serial number (one equipment per serial)."""
        self.ensure_one()
        return bool(self.lot_id) and self.product_id.tracking == "serial"

    def _prepare_crm_equipment_return_values(self):
        """Values written on the equipment this return line brings back."""
        self.ensure_one()
        return {"state": "returned", "return_picking_id": self.picking_id.id, "return_move_line_id": self.id}

    def _crm_get_equipment_registration_plan(self):
        """What applying these move lines to the equipment registry would do, without doing it.

        Only the deliveries and returns of :meth:`_crm_get_equipment_flow_domain`
        count, oldest first (date, then id). Returns ``(vals_list, updates,
        returned)``: values of the equipment to create, ``{equipment: values}``
        for serial numbers delivered again, and ``{equipment: return move line}``
        for units brought back. A move line already applied is never applied
        twice, so its plan is empty.
        """
        Equipment = self.env["crm.relationship.equipment"]
        lines = self.filtered_domain(self._crm_get_equipment_flow_domain()).sorted(
            lambda ml: (ml.date, ml.id)
        )
        deliveries = lines.filtered_domain(self._crm_get_customer_delivery_domain())
        returns = lines - deliveries
        serial_lines = lines.filtered(lambda ml: ml._crm_has_serial_number())
        last_event = {ml.lot_id: ml for ml in serial_lines}
        last_delivery = {ml.lot_id: ml for ml in serial_lines if ml in deliveries}
        untracked_returns = returns - serial_lines
        origin_moves = untracked_returns.move_id.origin_returned_move_id
        domain = Domain("lot_id", "in", serial_lines.lot_id.ids) | Domain(
            "move_line_id", "in", (deliveries - serial_lines).ids
        )
        if origin_moves:
            domain |= Domain("move_line_id.move_id", "in", origin_moves.ids)
        if untracked_returns:
            domain |= Domain("return_move_line_id", "in", untracked_returns.ids)
        existing = Equipment.search(domain)
        by_lot = {e.lot_id: e for e in existing if e.lot_id and e.product_tracking == "serial"}
        by_move_line = existing.grouped("move_line_id")

        vals_list, updates, returned = [], {}, {}
        planned_by_lot, planned_by_move = {}, defaultdict(list)
        for ml in deliveries:
            if ml._crm_has_serial_number():
                if last_delivery[ml.lot_id] != ml:
                    continue
                equipment = by_lot.get(ml.lot_id)
                # A unit already following a later delivery of its lot (in the
                # order lines are applied: date, then id) is left as it is.
                current = equipment.move_line_id if equipment else None
                if current and (current == ml or (current.date, current.id) > (ml.date, ml.id)):
                    continue
                values = Equipment._prepare_equipment_values(ml, lot=ml.lot_id)
                planned_by_lot[ml.lot_id] = values
                if equipment:
                    updates[equipment] = values
                else:
                    vals_list.append(values)
            else:
                missing = ml._crm_get_unit_count() - len(by_move_line.get(ml, ()))
                if missing <= 0:
                    continue
                values = Equipment._prepare_equipment_values(ml, lot=ml.lot_id)
                for _unit in range(missing):
                    unit_values = dict(values)
                    vals_list.append(unit_values)
                    planned_by_move[ml.move_id].append(unit_values)

        already_returned = existing.filtered(lambda e: e.state == "returned").grouped("return_move_line_id")
        for ml in returns:
            return_values = ml._prepare_crm_equipment_return_values()
            if ml._crm_has_serial_number():
                if last_event[ml.lot_id] != ml:
                    continue
                if ml.lot_id in planned_by_lot:
                    planned_by_lot[ml.lot_id].update(return_values)
                    continue
                equipment = by_lot.get(ml.lot_id)
                if (
                    equipment
                    and equipment.state != "returned"
                    and (not equipment.move_line_id or equipment.move_line_id.date <= ml.date)
                ):
                    returned[equipment] = ml
                continue
            origin = ml.move_id.origin_returned_move_id
            if not origin:
                continue
            missing = ml._crm_get_unit_count() - len(already_returned.get(ml, ()))
            candidates = existing.filtered(
                lambda e, o=origin: (
                    e.move_line_id.move_id == o and e.state != "returned" and e not in returned
                )
            )
            for equipment in candidates[: max(missing, 0)]:
                returned[equipment] = ml
                missing -= 1
            for unit_values in planned_by_move.get(origin, []):
                if missing <= 0:
                    break
                if unit_values.get("state") != "returned":
                    unit_values.update(return_values)
                    missing -= 1
        return vals_list, updates, returned

    def _crm_register_equipment(self):
        """Apply these move lines to the customer equipment registry: deliveries to
        customers create equipment (one per serial number, or per unit), returns
        mark it returned.

        Safe to call again on the same move lines: nothing is registered twice.
        The units are created without follower, creation message or
        notification (a delivery may register thousands). The registry is
        written with the rights of the environment: callers feeding it on
        behalf of a warehouse user call it with ``sudo()``. Returns the
        equipment created or updated.
        """
        Equipment = self.env["crm.relationship.equipment"]
        vals_list, updates, returned = self._crm_get_equipment_registration_plan()
        equipment = (
            Equipment.with_context(tracking_disable=True).create(vals_list) if vals_list else Equipment
        )
        for unit, values in updates.items():
            unit.write(values)
            equipment |= unit
        by_return_line = defaultdict(Equipment.browse)
        for unit, move_line in returned.items():
            by_return_line[move_line] |= unit
        for move_line, units in by_return_line.items():
            units.write(move_line._prepare_crm_equipment_return_values())
            equipment |= units
        return equipment
