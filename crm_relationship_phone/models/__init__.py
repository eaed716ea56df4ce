from . import crm_relationship_pbx
from . import crm_relationship_pbx_extension
from . import crm_relationship_pbx_queue
from . import crm_relationship_phone_call
from . import crm_relationship_call
from . import res_partner
from . import res_users
