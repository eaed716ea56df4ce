from . import test_crm_relationship_portal_demo
from . import test_crm_relationship_portal_i18n
from . import test_crm_relationship_portal_pages
from . import test_crm_relationship_portal_security
from . import test_crm_relationship_portal_tour
from . import test_crm_relationship_satisfaction
from . import test_crm_relationship_satisfaction_page
