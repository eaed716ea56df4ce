from . import crm_relationship_mailing_audience
from . import crm_relationship_rfm_segment
from . import mailing_filter
from . import mailing_mailing
from . import res_company
from . import res_config_settings
from . import res_partner
