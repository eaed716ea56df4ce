from . import test_crm_relationship_contract
from . import res_partner
