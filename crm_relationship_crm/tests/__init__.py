from . import test_crm_relationship_conversion_report
from . import test_crm_relationship_crm_call
from . import test_crm_relationship_crm_demo
from . import test_crm_relationship_crm_i18n
from . import test_crm_relationship_crm_lead
from . import test_crm_relationship_crm_security
