from . import crm_relationship_call_close
