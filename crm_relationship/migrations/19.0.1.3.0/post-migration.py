from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Fill the stored last contact and next planned action of every customer.

    Up to 19.0.1.2.0 both were computed at every read by scanning the open
    activities and the timeline; they are now stored on the partners.
    """
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.partner"]._crm_refresh_relationship_status()
