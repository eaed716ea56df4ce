from odoo import SUPERUSER_ID, api
from odoo.tools import SQL, sql

BATCH_SIZE = 5000


def migrate(cr, version):
    """Drop the add-on's own normalized phones and make every partner's ``phone_sanitized`` E.164.

    Up to 19.0.1.3.0 the caller lookup matched ``crm_phone_normalized``, digits
    computed by hand-written rules; it now matches Odoo's ``phone_sanitized``
    (E.164 through phonenumbers), indexed. A database that ran without the
    phonenumbers library stored the numbers there as typed, so every partner
    with a phone (or a stale sanitized one) is computed again, in batches that
    keep the memory flat.
    """
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    if sql.column_exists(cr, "res_partner", "crm_phone_normalized"):
        env.execute_query(SQL("ALTER TABLE res_partner DROP COLUMN crm_phone_normalized"))
    rows = env.execute_query(
        SQL("SELECT id FROM res_partner WHERE phone IS NOT NULL OR phone_sanitized IS NOT NULL ORDER BY id")
    )
    ids = [row[0] for row in rows]
    Partner = env["res.partner"]
    field = Partner._fields["phone_sanitized"]
    for start in range(0, len(ids), BATCH_SIZE):
        partners = Partner.browse(ids[start : start + BATCH_SIZE])
        env.add_to_compute(field, partners)
        partners.flush_recordset(["phone_sanitized"])
        env.invalidate_all()
