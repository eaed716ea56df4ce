from collections import defaultdict

from odoo import models
from odoo.fields import Domain


class StockLot(models.Model):
    """Follow a lot into manufacturing to find the units sharing its origin.

    They are those of the same production batch (the other lots finished by
    the production orders that produced the lot), those built with the same
    component lots, and, when the lot is itself a component, the units built
    with it.
    """

    _inherit = "stock.lot"

    def _crm_get_production_trace(self):
        """The production side of each lot of ``self``, set-based.

        ``{lot: {"productions": mrp.production, "component_lots": stock.lot,
        "batch_lots": stock.lot}}``: the done production orders that produced
        the lot, the lots of the components they consumed, and the lots
        finished by those orders, by the orders that consumed the same
        component lots, or by the orders that consumed the lot. Four grouped
        queries for all the lots, whatever their number and the size of the
        batches; read with ``sudo()``, as the deliveries of the lots.
        """
        MoveLine = self.env["stock.move.line"].sudo()
        done = Domain("state", "=", "done") & Domain("lot_id", "!=", False)

        def links(domain, key, value):
            """``{key id: {value id: None}}``: the pairs of the done move lines of ``domain``."""
            result = defaultdict(dict)
            for key_record, value_record in MoveLine._read_group(done & domain, [key, value]):
                result[key_record.id][value_record.id] = None
            return result

        def union(mapping, keys):
            """The value ids of ``keys`` in ``mapping``, without repetition."""
            return list(dict.fromkeys(value for key in keys for value in mapping.get(key, ())))

        produced = links(
            Domain("lot_id", "in", self.ids) & Domain("move_id.production_id", "!=", False),
            "lot_id",
            "move_id.production_id",
        )
        production_ids = union(produced, self.ids)
        components = links(
            Domain("move_id.raw_material_production_id", "in", production_ids),
            "move_id.raw_material_production_id",
            "lot_id",
        )
        consumed = links(
            Domain("lot_id", "in", union(components, production_ids) + self.ids)
            & Domain("move_id.raw_material_production_id", "!=", False),
            "lot_id",
            "move_id.raw_material_production_id",
        )
        finished = links(
            Domain("move_id.production_id", "in", production_ids + union(consumed, list(consumed))),
            "move_id.production_id",
            "lot_id",
        )
        Production = self.env["mrp.production"]
        result = {}
        for lot in self:
            productions = union(produced, [lot.id])
            component_lots = union(components, productions)
            consuming = union(consumed, [*component_lots, lot.id])
            result[lot] = {
                "productions": Production.browse(productions),
                "component_lots": self.browse(component_lots),
                "batch_lots": self.browse(union(finished, productions + consuming)),
            }
        return result

    def _crm_get_origin_trace(self):
        traces = super()._crm_get_origin_trace()
        productions = self._crm_get_production_trace()
        for lot, trace in traces.items():
            trace.update(productions[lot])
            trace["lots"] |= trace["batch_lots"]
        return traces
