from . import crm_relationship_pbx_key
from . import crm_relationship_pbx_test_call
from . import crm_relationship_call_lookup
