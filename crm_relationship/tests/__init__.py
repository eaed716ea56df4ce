from . import test_crm_relationship_security
from . import test_crm_relationship_demo
