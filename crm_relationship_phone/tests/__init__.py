from . import test_crm_relationship_phone_3cx
from . import test_crm_relationship_phone_agi
