import logging

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools.misc import get_lang

from odoo.addons.rating.controllers.main import Rating

from ..models.crm_relationship_rating_mixin import RATING_VALUES

_logger = logging.getLogger(__name__)


class CrmRelationshipRating(http.Controller):
    """The page where a customer answers a satisfaction request.

    Mail scanners and link previews open every link of an e-mail: opening
    the page (``GET`` or ``HEAD``) only shows the question, with the answer of
    the link preselected; the answer is saved by the form's ``POST`` only
    (with Odoo's CSRF token of the page). A request answered once keeps its
    answer: a second submission only shows the answer already given.
    """

    @http.route(
        ["/crm_relationship/rating/<string:token>", "/crm_relationship/rating/<string:token>/<int:rate>"],
        type="http",
        auth="public",
        methods=["GET", "HEAD"],
        readonly=True,
        sitemap=False,
    )
    def crm_rating_page(self, token, rate=None, **kwargs):
        rating, record = self._crm_get_rating(token)
        if rating.consumed:
            return self._crm_render(
                rating, record, "crm_relationship_portal.crm_relationship_rating_page_done"
            )
        return self._crm_render(
            rating,
            record,
            "crm_relationship_portal.crm_relationship_rating_page",
            rate=rate if rate in RATING_VALUES else None,
        )

    @http.route(
        "/crm_relationship/rating/<string:token>/submit",
        type="http",
        auth="public",
        methods=["POST"],
        sitemap=False,
    )
    def crm_rating_submit(self, token, rate=None, feedback=None, **kwargs):
        rating, record = self._crm_get_rating(token)
        try:
            rate = int(rate or 0)
        except ValueError:
            rate = 0
        if rating.consumed:
            return self._crm_render(
                rating, record, "crm_relationship_portal.crm_relationship_rating_page_done", status=409
            )
        if rate not in RATING_VALUES:
            return self._crm_render(
                rating,
                record,
                "crm_relationship_portal.crm_relationship_rating_page",
                error=request.env._("Choose one of the answers."),
                feedback=feedback,
                status=400,
            )
        try:
            record.rating_apply(rate, rating=rating, feedback=(feedback or "").strip()[:2000] or None)
        except UserError:
            # answered meanwhile (e.g. in another tab): the first answer stays
            return self._crm_render(
                rating, record, "crm_relationship_portal.crm_relationship_rating_page_done", status=409
            )
        return self._crm_render(
            rating, record, "crm_relationship_portal.crm_relationship_rating_page_done", thanks=True
        )

    def _crm_get_rating(self, token):
        """The satisfaction request of ``token`` and its document, both ``sudo()``: the token is
        the customer's key. Anything else is not found."""
        env = request.env
        rating = (
            env["rating.rating"].sudo().search([("access_token", "=", token)], limit=1) if token else None
        )
        if not rating or not rating._crm_is_rated_model(rating.res_model):
            raise NotFound()
        record = env[rating.res_model].sudo().browse(rating.res_id).exists()
        if not record:
            raise NotFound()
        return rating, record

    def _crm_render(self, rating, record, template, status=200, **values):
        lang = rating.partner_id.lang or get_lang(request.env).code
        request.update_context(lang=lang)
        record = record.with_context(lang=lang)
        response = request.render(
            template,
            dict(
                values,
                rating=rating,
                record=record,
                company=record.company_id,
                token=rating.access_token,
                answers=self._crm_get_answers(),
            ),
        )
        response.status_code = status
        # the page holds the customer's key: never cached nor indexed
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        return response

    def _crm_get_answers(self):
        """``[(value, label, image url)]`` of the answers, best first."""
        labels = {5: request.env._("Happy"), 3: request.env._("Neutral"), 1: request.env._("Unhappy")}
        return [(rate, labels[rate], f"/rating/static/src/img/rating_{rate}.png") for rate in RATING_VALUES]


class RatingRedirect(Rating):
    """Odoo's own rating links lead to the add-on's page for its documents."""

    @http.route()
    def action_open_rating(self, token, rate, **kwargs):
        rating = request.env["rating.rating"].sudo().search([("access_token", "=", token)], limit=1)
        if rating and rating._crm_is_rated_model(rating.res_model):
            return request.redirect(f"/crm_relationship/rating/{token}/{rate}", code=303)
        return super().action_open_rating(token, rate, **kwargs)
