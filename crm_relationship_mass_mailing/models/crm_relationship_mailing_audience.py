from odoo import api, fields, models
from odoo.tools import SQL


class CrmRelationshipMailingAudience(models.Model):
    """The customers a mailing was meant for, fixed when it is first sent.

    One row per customer of the audience, with its segment at that moment and
    whether it was held back in the mailing's control group. Later batches and
    restarts of the same mailing read these rows instead of drawing again, and
    the effect report compares the revenue of both groups.
    """

    _name = "crm.relationship.mailing.audience"
    _description = "Mailing Audience"
    _order = "mailing_id, id"
    _rec_name = "partner_id"
    _check_company_auto = True
    # Written once per mailing in one statement, never edited: no author and date columns, whose
    # foreign keys would be checked for each of the (up to hundreds of thousands of) rows.
    _log_access = False

    mailing_id = fields.Many2one(
        "mailing.mailing", required=True, readonly=True, index=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, ondelete="cascade"
    )
    segment_id = fields.Many2one(
        "crm.relationship.rfm.segment",
        readonly=True,
        ondelete="set null",
        help="The customer's segment when the mailing was sent.",
    )
    held_back = fields.Boolean(
        readonly=True, help="In the control group: the mailing was not sent to this customer."
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)

    _mailing_partner_uniq = models.UniqueIndex("(mailing_id, partner_id)")

    @api.model
    def _snapshot(self, mailing, partner_query, share, company):
        """Store the audience of ``mailing``: the partners of ``partner_query`` (a ``Query``
        on ``res.partner``), ``share`` percent of each segment held back, in one statement.

        Within each segment (customers without segment form their own), the
        first ``round(n × share / 100)`` customers (rounded half up) ordered by
        ``md5('<mailing id>:<partner id>')`` (as a uuid: the hexadecimal digest's
        order, whatever the database's collation) are held back: a random draw that
        gives the same result every time it is made. Return the number of rows.
        """
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_relationship_mailing_audience
                       (mailing_id, partner_id, segment_id, held_back, company_id)
                SELECT %(mailing)s, a.id, a.crm_segment_id,
                       a.rank <= round(a.stratum * %(share)s / 100.0), %(company)s
                  FROM (SELECT p.id, p.crm_segment_id,
                               row_number() OVER (
                                   PARTITION BY p.crm_segment_id
                                   ORDER BY md5(%(mailing)s || ':' || p.id)::uuid, p.id
                               ) AS rank,
                               count(*) OVER (PARTITION BY p.crm_segment_id) AS stratum
                          FROM res_partner p
                         WHERE p.id IN %(partners)s) a
                ON CONFLICT DO NOTHING
                """,
                mailing=mailing.id,
                share=share,
                company=company.id,
                partners=partner_query.subselect(),
            )
        )
        count = self.env.cr.rowcount
        self.invalidate_model()
        mailing.invalidate_recordset(["crm_audience_ids", "crm_held_back_count"])
        return count
