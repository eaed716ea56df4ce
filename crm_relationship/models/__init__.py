from . import res_partner
from . import sale_order
from . import crm_relationship_timeline
