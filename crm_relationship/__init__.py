from . import models
from . import wizard
from . import report


def post_init_hook(env):
    """Fill the stored last contact and next planned action of the customers
    already in the database."""
    env["res.partner"]._crm_refresh_relationship_status()
