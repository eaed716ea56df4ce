from odoo import api, fields, models
from odoo.fields import Domain


class CrmRelationshipRfmSegment(models.Model):
    """Every active segment is a mailing audience: a ``mailing.filter`` on customers named after it.

    The filter is created with the segment, renamed with it, removed when the
    segment is archived or deleted (``mailing.filter`` cannot be archived, and
    an archived segment loses its customers at the next RFM computation) and
    created again when it is restored. Mailings that used a removed filter keep
    their audience: their domain stays, only the link to the filter goes.
    """

    _inherit = "crm.relationship.rfm.segment"

    mailing_filter_ids = fields.One2many(
        "mailing.filter",
        "crm_segment_id",
        string="Mailing Audience",
        groups="mass_mailing.group_mass_mailing_user",
    )

    @api.model_create_multi
    def create(self, vals_list):
        segments = super().create(vals_list)
        segments._crm_sync_mailing_filters()
        return segments

    def write(self, vals):
        result = super().write(vals)
        if {"name", "active"} & vals.keys():
            self._crm_sync_mailing_filters()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_mailing_filters(self):
        self.sudo().with_context(active_test=False).mailing_filter_ids.unlink()

    def _get_mailing_domain(self):
        """Domain on ``res.partner`` of the customers of these segments: the audience of their mailings."""
        if len(self) == 1:
            return Domain("crm_segment_id", "=", self.id)
        return Domain("crm_segment_id", "in", self.ids)

    def _prepare_mailing_filter_values(self):
        """Values of the ``mailing.filter`` of this segment (override to add to them)."""
        self.ensure_one()
        return {
            "name": self.name,
            "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
            "mailing_domain": repr(list(self._get_mailing_domain())),
            "crm_segment_id": self.id,
        }

    def _crm_sync_mailing_filters(self):
        """Create, rename or remove the mailing filters of these segments to match them.

        Filters are technical copies of the segments: they are written as
        superuser, whoever edits the segment.
        """
        segments = self.sudo().with_context(active_test=False)
        filters = segments.mailing_filter_ids
        by_segment = {mailing_filter.crm_segment_id: mailing_filter for mailing_filter in filters}
        to_create = []
        for segment in segments:
            mailing_filter = by_segment.get(segment)
            if not segment.active:
                continue
            values = segment._prepare_mailing_filter_values()
            if not mailing_filter:
                to_create.append(values)
            elif (mailing_filter.name, mailing_filter.mailing_domain) != (
                values["name"],
                values["mailing_domain"],
            ):
                mailing_filter.write({"name": values["name"], "mailing_domain": values["mailing_domain"]})
        filters.filtered(lambda f: not f.crm_segment_id.active).unlink()
        if to_create:
            self.env["mailing.filter"].sudo().create(to_create)

    def action_crm_send_mailing(self):
        """Open a new mailing to the customers of these segments (marketing users)."""
        self.check_access("read")
        Mailing = self.env["mailing.mailing"]
        Mailing.check_access("create")
        mailing_filter = self.sudo().mailing_filter_ids if len(self) == 1 else self.env["mailing.filter"]
        return Mailing._crm_action_new_mailing(
            self._get_mailing_domain(),
            mailing_filter=mailing_filter,
            subject=self.name if len(self) == 1 else False,
        )
