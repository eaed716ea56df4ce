from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL

# Saving one of these changes who receives the mailing: the audience previewed is counted again.
AUDIENCE_FIELDS = (
    "mailing_model_id",
    "mailing_domain",
    "contact_list_ids",
    "mailing_filter_id",
    "ab_testing_pc",
)


class MailingMailing(models.Model):
    """Mailings with a send guard, and a control group for mailings to customers.

    **Send guard.** The mailing keeps the number of recipients the user saw
    when the audience was last saved (``crm_audience_count``). When the
    mailing is sent, the audience is counted again: if it differs by more
    than the company's share (``res.company.crm_mailing_guard_share``), a
    manual send is refused and a scheduled one is put back to draft for its
    responsible to look at. Test mailings are never guarded.

    **Control group.** When a mailing to ``res.partner`` is first sent, its
    audience is stored in ``crm.relationship.mailing.audience`` with
    ``crm_control_share`` percent of each segment held back: they never get
    the mailing, and the effect report compares their revenue with that of
    the customers mailed.
    """

    _inherit = "mailing.mailing"

    crm_audience_count = fields.Integer(
        string="Audience Previewed",
        readonly=True,
        copy=False,
        groups="mass_mailing.group_mass_mailing_user",
        help="Recipients counted when the audience was last saved; the mailing is not sent when the "
        "audience at send time differs from it by more than the company's guard share.",
    )
    crm_audience_date = fields.Datetime(
        string="Audience Previewed on",
        readonly=True,
        copy=False,
        groups="mass_mailing.group_mass_mailing_user",
    )
    crm_control_share = fields.Integer(
        string="Control Group (%)",
        default=0,
        copy=True,
        groups="mass_mailing.group_mass_mailing_user",
        help="Share of the customers of each segment who do not get the mailing, chosen at random when it "
        "is first sent, to measure its effect on revenue.",
    )
    crm_audience_ids = fields.One2many(
        "crm.relationship.mailing.audience",
        "mailing_id",
        string="Audience at Send Time",
        groups="mass_mailing.group_mass_mailing_user",
    )
    crm_held_back_count = fields.Integer(
        string="Held Back",
        compute="_compute_crm_held_back_count",
        groups="mass_mailing.group_mass_mailing_user",
    )

    _crm_control_share_check = models.Constraint(
        "CHECK(crm_control_share BETWEEN 0 AND 50)",
        "The control group is a share between 0 and 50% of the audience.",
    )

    def _compute_crm_held_back_count(self):
        counts = dict(
            self.env["crm.relationship.mailing.audience"]._read_group(
                Domain("mailing_id", "in", self.ids) & Domain("held_back", "=", True),
                ["mailing_id"],
                ["__count"],
            )
        )
        for mailing in self:
            mailing.crm_held_back_count = counts.get(mailing, 0)

    @api.constrains("crm_control_share", "mailing_model_id")
    def _check_crm_control_share_model(self):
        partner_model = self.env["ir.model"]._get("res.partner")
        for mailing in self:
            if mailing.crm_control_share and mailing.mailing_model_id != partner_model:
                raise ValidationError(
                    self.env._(
                        "Only mailings to contacts can hold back a control group (mailing '%s').",
                        mailing.subject,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        mailings = super().create(vals_list)
        mailings._crm_store_audience_count()
        return mailings

    def write(self, vals):
        result = super().write(vals)
        if set(AUDIENCE_FIELDS) & vals.keys():
            self._crm_store_audience_count()
        return result

    # ------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------

    @api.model
    def _crm_action_new_mailing(self, domain, mailing_filter=None, subject=False):
        """Action opening a new mailing to the partners of ``domain`` (and its saved ``mailing_filter``)."""
        context = {
            "default_mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
            "default_mailing_domain": repr(list(Domain(domain))),
        }
        if mailing_filter:
            context["default_mailing_filter_id"] = mailing_filter.id
        if subject:
            context["default_subject"] = subject
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Mailing"),
            "res_model": "mailing.mailing",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": context,
        }

    def action_crm_accept_audience(self):
        """Take the audience as it is now as the one previewed, so that the mailing can be sent."""
        self.check_access("write")
        self._crm_store_audience_count()

    def action_view_crm_effect(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_relationship_mass_mailing.crm_relationship_mailing_effect_report_action"
        )
        action["domain"] = [("mailing_id", "=", self.id)]
        action["context"] = {"search_default_mailing_id": self.id}
        action["display_name"] = self.env._("Effect of %s", self.subject)
        return action

    def action_put_in_queue(self):
        self._crm_raise_audience_guard()
        return super().action_put_in_queue()

    def action_schedule(self):
        self._crm_raise_audience_guard()
        return super().action_schedule()

    def _action_send_mail(self, res_ids=None):
        """Send the mailings whose audience passes the guard; put the others back to draft.

        Never raises for a guarded mailing, so that the mail queue goes on with
        the other mailings. The audience of mailings to customers is stored
        (with their control group) before the first batch goes out.
        """
        if res_ids:
            return super()._action_send_mail(res_ids)
        tripped = self._crm_get_audience_guard_trips()
        if tripped:
            self.browse(list(tripped))._crm_stop_guarded(tripped)
        to_send = self.filtered(lambda m: m.id not in tripped)
        to_send -= to_send._crm_snapshot_audience()
        if not to_send:
            return True
        return super(MailingMailing, to_send)._action_send_mail(res_ids)

    # ------------------------------------------------------------
    # Audience and guard
    # ------------------------------------------------------------

    def _crm_count_audience(self):
        """``{mailing id: recipients}`` counted as the mailing's own counter (``total``) counts them.

        One ``search_count`` per mailing: each has its own domain and model."""
        self.invalidate_recordset(["total"])
        return {mailing.id: mailing.total for mailing in self}

    def _crm_store_audience_count(self):
        """Store the audience counted now as the one previewed.

        A mailing whose domain does not apply to its model (a saved filter of
        another model, refused by Odoo's own check) has no audience to preview:
        it keeps the one it had.
        """
        by_count = {}
        for mailing in self:
            try:
                count = mailing._crm_count_audience()[mailing.id]
            except ValueError:
                continue
            by_count.setdefault(count, []).append(mailing.id)
        now = fields.Datetime.now()
        for count, mailing_ids in by_count.items():
            self.browse(mailing_ids).write({"crm_audience_count": count, "crm_audience_date": now})

    def _crm_get_company(self):
        """The company whose settings and currency apply to the mailing: that of its responsible."""
        self.ensure_one()
        return self.user_id.company_id or self.env.company

    def _crm_get_audience_guard_trips(self):
        """``{mailing id: (previewed, now)}`` of the mailings the guard stops.

        A mailing is guarded before its first e-mail only (a half-sent mailing
        goes on), when its audience was previewed and its company's share is
        not 0.
        """
        mailings = self.sudo().filtered("crm_audience_date")
        if not mailings:
            return {}
        started = {
            mailing.id
            for mailing, __ in self.env["mailing.trace"]
            .sudo()
            ._read_group(Domain("mass_mailing_id", "in", mailings.ids), ["mass_mailing_id"], ["__count"])
        }
        mailings = mailings.filtered(
            lambda m: m.id not in started and m._crm_get_company().crm_mailing_guard_share
        )
        counts = self.browse(mailings.ids)._crm_count_audience()
        trips = {}
        for mailing in mailings:
            previewed, current = mailing.crm_audience_count, counts[mailing.id]
            if (
                abs(current - previewed) * 100
                > previewed * mailing._crm_get_company().crm_mailing_guard_share
            ):
                trips[mailing.id] = (previewed, current)
        return trips

    def _crm_get_guard_message(self, previewed, current):
        self.ensure_one()
        return self.env._(
            "The audience of the mailing '%(subject)s' changed since it was previewed: "
            "%(previewed)s recipients then, %(current)s now, more than the %(share)s%% allowed. "
            "Check the recipients, then press 'Accept the current audience' (or save the audience again) "
            "to send it.",
            subject=self.subject,
            previewed=previewed,
            current=current,
            share=self._crm_get_company().crm_mailing_guard_share,
        )

    def _crm_raise_audience_guard(self):
        trips = self._crm_get_audience_guard_trips()
        if trips:
            mailing = self.browse(next(iter(trips)))
            raise UserError(mailing._crm_get_guard_message(*trips[mailing.id]))

    def _crm_stop_guarded(self, trips):
        """Put the guarded mailings back to draft and tell their responsible why."""
        self.sudo().write({"state": "draft"})
        for mailing in self.sudo():
            message = mailing._crm_get_guard_message(*trips[mailing.id])
            mailing.message_post(body=message, subtype_xmlid="mail.mt_note")
            mailing.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Check the audience before sending"),
                note=message,
                user_id=(mailing.user_id or self.env.user).id,
            )

    # ------------------------------------------------------------
    # Control group
    # ------------------------------------------------------------

    def _crm_snapshot_audience(self):
        """Store the audience of the mailings to customers not stored yet, with their control group.

        Return the mailings whose whole audience was just held back: they are
        marked sent without e-mail (a one-customer segment with a control group
        of 50% or more), as the mail queue does for a mailing without recipients.
        """
        Audience = self.env["crm.relationship.mailing.audience"].sudo()
        mailings = self.filtered(lambda m: m.mailing_model_real == "res.partner")
        if not mailings:
            return self.browse()
        stored = {
            mailing.id
            for mailing, __ in Audience._read_group(
                Domain("mailing_id", "in", mailings.ids), ["mailing_id"], ["__count"]
            )
        }
        new = mailings.filtered(lambda m: m.id not in stored)
        for mailing in new:
            # Each mailing has its own domain: one INSERT ... SELECT per mailing.
            query = self.env["res.partner"]._search(mailing._get_recipients_domain())
            Audience._snapshot(mailing, query, mailing.sudo().crm_control_share, mailing._crm_get_company())
        groups = Audience._read_group(
            Domain("mailing_id", "in", new.ids), ["mailing_id", "held_back"], ["__count"]
        )
        held_back = {mailing.id for mailing, is_held_back, __ in groups if is_held_back}
        mailed = {mailing.id for mailing, is_held_back, __ in groups if not is_held_back}
        all_held_back = new.filtered(lambda m: m.id in held_back and m.id not in mailed)
        if all_held_back:
            all_held_back.write({"state": "done", "sent_date": fields.Datetime.now()})
        return all_held_back

    def _crm_get_held_back_partner_ids(self):
        self.ensure_one()
        self.env["crm.relationship.mailing.audience"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """SELECT partner_id FROM crm_relationship_mailing_audience
                    WHERE mailing_id = %s AND held_back""",
                self.id,
            )
        )
        return {partner_id for (partner_id,) in rows}

    def _get_remaining_recipients(self):
        """The control group never gets the mailing."""
        res_ids = super()._get_remaining_recipients()
        if self.mailing_model_real != "res.partner":
            return res_ids
        held_back = self._crm_get_held_back_partner_ids()
        return [res_id for res_id in res_ids if res_id not in held_back] if held_back else res_ids
