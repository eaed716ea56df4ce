from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.rating.models.rating_data import (
    RATING_HAPPY_VALUE,
    RATING_NEUTRAL_VALUE,
    RATING_UNHAPPY_VALUE,
)

# The answers a customer can give, best first (Odoo's rating values).
RATING_VALUES = (RATING_HAPPY_VALUE, RATING_NEUTRAL_VALUE, RATING_UNHAPPY_VALUE)


class CrmRelationshipRatingMixin(models.AbstractModel):
    """A document whose customer is asked how it went: satisfaction requests and answers.

    Mixed into the defect reports (asked when a report is resolved) and the
    customer calls (asked when a call is closed with an outcome that asks for
    it). The request is Odoo's rating e-mail, sent to the customer's contact
    in its language, whose buttons lead to the add-on's rating page: opening
    a link (as mail scanners do) writes nothing, the answer is saved on a
    ``POST`` only, and an answer once given is never replaced
    (:meth:`rating_apply` refuses it, whichever route calls it). An unhappy
    answer plans, in the same transaction, an activity for the call-center
    responsible on the customer (:meth:`_crm_plan_low_rating_activity`),
    the card's next action; the card also shows the answer as an alert.

    Each model says who rates (``_crm_rating_partner_field``), who is rated
    (``_crm_rating_user_field``) and which template asks
    (:meth:`_crm_get_rating_template`).
    """

    _name = "crm.relationship.rating.mixin"
    _inherit = "rating.mixin"
    _description = "Customer Satisfaction"

    # The contact who answers; the customer (partner_id) when it is empty.
    _crm_rating_partner_field = "contact_id"
    # The user whose work is rated.
    _crm_rating_user_field = "user_id"

    crm_rating_requested = fields.Boolean(
        string="Satisfaction Asked",
        compute="_compute_crm_rating_requested",
        groups="crm_relationship.crm_relationship_group_user",
        help="A satisfaction request was sent to the customer.",
    )

    @api.depends("rating_ids")
    def _compute_crm_rating_requested(self):
        """Asked when the document has a rating: each request is one (Odoo's ratings)."""
        for record in self:
            record.crm_rating_requested = bool(record.sudo().rating_ids)

    # ------------------------------------------------------------------
    # Who rates, who is rated
    # ------------------------------------------------------------------

    def _rating_get_partner(self):
        """The contact who answers: the document's contact, else the customer."""
        return self[self._crm_rating_partner_field] or self.partner_id

    def _rating_get_operator(self):
        return self[self._crm_rating_user_field].partner_id

    # ------------------------------------------------------------------
    # Asking
    # ------------------------------------------------------------------

    @api.model
    def _crm_get_rating_template(self):
        """The ``mail.template`` asking the customer how it went; override on each model."""
        raise NotImplementedError(f"{self._name} has no satisfaction request template")

    def _crm_get_rating_url(self, rate=None):
        """The rating page of the customer's pending request (with ``rate`` preselected).

        Only a satisfaction request being sent (:meth:`_crm_send_rating_request`)
        creates the request: a template rendered to check or preview it shows
        a placeholder link instead of asking the customer."""
        self.ensure_one()
        token = self._rating_get_access_token() if self.env.context.get("crm_rating_request") else "preview"
        url = f"{self.get_base_url()}/crm_relationship/rating/{token}"
        return f"{url}/{rate}" if rate else url

    def _crm_render_rating_buttons(self):
        """The answers of the satisfaction e-mail, each a link to the rating page (one view for
        every template, rendered in the language of the e-mail)."""
        self.ensure_one()
        return self.env["ir.qweb"]._render(
            "crm_relationship_portal.crm_relationship_rating_mail_buttons",
            {"urls": {rate: self._crm_get_rating_url(rate) for rate in RATING_VALUES}},
        )

    def _crm_can_request_rating(self):
        """Whether the customer of the document can be asked: a contact with an e-mail address."""
        self.ensure_one()
        return bool(self._rating_get_partner().email_normalized)

    def _crm_send_rating_request(self):
        """Ask the customers of ``self`` how it went, each in its language.

        The request is queued (sent by the mail queue): a slow mail server
        never delays the user who resolved or closed the document. Documents
        whose contact has no e-mail address are not asked, and say so in
        their chatter.
        """
        records = self.with_context(crm_rating_request=True)
        template = records._crm_get_rating_template()
        asked = records.browse()
        for record in records:
            if not record._crm_can_request_rating():
                record.message_post(
                    body=self.env._(
                        "No satisfaction request was sent: %s has no e-mail address.",
                        record._rating_get_partner().display_name or self.env._("the customer"),
                    ),
                    subtype_xmlid="mail.mt_note",
                )
                continue
            partner = record._rating_get_partner()
            record.rating_send_request(template, lang=partner.lang, force_send=False)
            asked |= record
        if asked:
            cron = self.env.ref("mail.ir_cron_mail_scheduler_action", raise_if_not_found=False)
            if cron:
                cron.sudo()._trigger()
        return asked

    # ------------------------------------------------------------------
    # Answering
    # ------------------------------------------------------------------

    def rating_apply(
        self, rate, token=None, rating=None, feedback=None, subtype_xmlid=None, notify_delay_send=False
    ):
        """Save the customer's answer once: an answer already given is never replaced.

        Whichever route calls it (the add-on's rating page or Odoo's own
        ``/rate`` routes, both as superuser after checking the customer's
        token), a second answer to the same request is refused. Nobody else
        answers: called without ``sudo()``, it is refused.
        An unhappy answer plans the follow-up activity in the same
        transaction.
        """
        if not self.env.su:
            # employees could otherwise answer for the customer, e.g. rate their own calls over RPC
            raise AccessError(
                self.env._("Satisfaction answers are given by the customers, on the rating page.")
            )
        if token:
            rating = self.env["rating.rating"].search([("access_token", "=", token)], limit=1)
        if rating and rating._crm_lock_consumed():
            raise UserError(self.env._("This satisfaction request was already answered."))
        if rate not in RATING_VALUES:
            raise UserError(self.env._("This answer is not one of those proposed."))
        rating = super().rating_apply(
            rate,
            rating=rating,
            feedback=feedback,
            subtype_xmlid=subtype_xmlid,
            notify_delay_send=notify_delay_send,
        )
        if rate <= RATING_UNHAPPY_VALUE:
            self._crm_plan_low_rating_activity(rating)
        return rating

    def _crm_get_low_rating_responsible(self):
        """The user who follows an unhappy answer up: the call-center
        responsible of the document, else of the company; override to route
        differently."""
        self.ensure_one()
        return self.company_id.crm_defect_call_center_user_ids[:1] or self[self._crm_rating_user_field]

    def _prepare_low_rating_activity_values(self, rating):
        """Values of the activity planned after the unhappy ``rating``; override to add some.

        It is planned on the customer, where it is the next action of the
        card, and names the document."""
        self.ensure_one()
        activity_type = self.env.ref("mail.mail_activity_data_call", raise_if_not_found=False)
        responsible = self._crm_get_low_rating_responsible()
        summary = self.env._("Unhappy customer: call back about %s", self.display_name)
        note = self.env._(
            "%(contact)s answered 'Unhappy' to the satisfaction request.",
            contact=rating.partner_id.display_name,
        )
        if rating.feedback:
            note = self.env._("%(note)s Comment: %(feedback)s", note=note, feedback=rating.feedback)
        return {
            "res_model_id": self.env["ir.model"]._get_id("res.partner"),
            "res_id": self.partner_id.commercial_partner_id.id,
            "activity_type_id": activity_type.id if activity_type else False,
            "summary": summary,
            "note": note,
            "user_id": (responsible or self.env.ref("base.user_admin")).id,
            "date_deadline": fields.Date.context_today(self),
        }

    def _crm_plan_low_rating_activity(self, rating):
        """Plan the follow-up of the unhappy ``rating`` on the customer."""
        self.ensure_one()
        return (
            self.env["mail.activity"]
            .sudo()
            .with_context(mail_activity_quick_update=True)
            .create(self._prepare_low_rating_activity_values(rating))
        )
