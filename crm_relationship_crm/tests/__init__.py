from . import test_crm_relationship_crm_demo
