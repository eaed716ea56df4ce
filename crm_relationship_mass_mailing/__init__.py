from . import models
from . import report


def post_init_hook(env):
    """Give every segment already defined its mailing audience."""
    env["crm.relationship.rfm.segment"].with_context(active_test=False).search([])._crm_sync_mailing_filters()
