from . import calendar_event
from . import crm_relationship_call
from . import crm_relationship_call_channel
from . import res_partner
