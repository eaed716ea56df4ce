from . import crm_lead
from . import crm_relationship_call
from . import res_partner
from . import calendar_event
