from odoo import SUPERUSER_ID, api
from odoo.tools import SQL, sql


def migrate(cr, version):
    """Remove the e-mail aliases of the defect reports of an upgraded database.

    Up to 19.0.1.1.0 every defect report had its own alias open to everyone
    at a guessable address (``def-2026-0001@``). Replies now reach the reports
    through the catchall and the references of the e-mails, from the people
    involved only; the old aliases must stop routing anything, so they are
    deleted (the link column first, which refuses the deletion of its aliases).
    """
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    alias_ids = set()
    if sql.column_exists(cr, "crm_relationship_defect", "alias_id"):
        rows = env.execute_query(
            SQL("SELECT alias_id FROM crm_relationship_defect WHERE alias_id IS NOT NULL")
        )
        alias_ids.update(alias_id for (alias_id,) in rows)
        env.execute_query(SQL("ALTER TABLE crm_relationship_defect DROP COLUMN alias_id"))
    model_id = env["ir.model"]._get_id("crm.relationship.defect")
    aliases = env["mail.alias"].search([("alias_model_id", "=", model_id)])
    (aliases | env["mail.alias"].browse(alias_ids).exists()).unlink()
