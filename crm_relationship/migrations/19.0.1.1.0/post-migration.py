from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Score the customers of a database upgraded from 19.0.1.0.0 at once.

    19.0.1.1.0 brings the RFM segmentation. Its scores are otherwise computed
    by the nightly scheduled action: without this step, the customer card and
    the segment filters of an upgraded database would stay empty until then.
    """
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["crm.relationship.rfm.segment"]._recompute_rfm()
