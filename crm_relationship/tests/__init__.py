from . import test_crm_relationship_security
from . import test_crm_relationship_demo
from . import test_res_partner_customer_card
from . import test_crm_relationship_timeline
from . import test_crm_relationship_tour
