from . import test_crm_relationship_phone_3cx
from . import test_crm_relationship_phone_agi
from . import test_crm_relationship_phone_call
from . import test_crm_relationship_phone_dial
from . import test_crm_relationship_phone_endpoint
from . import test_crm_relationship_phone_i18n
from . import test_crm_relationship_phone_security
from . import test_crm_relationship_phone_tour
