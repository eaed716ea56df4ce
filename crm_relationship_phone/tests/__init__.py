from . import test_crm_relationship_phone_call
from . import test_crm_relationship_phone_endpoint
from . import test_crm_relationship_phone_dial
from . import test_crm_relationship_phone_security
