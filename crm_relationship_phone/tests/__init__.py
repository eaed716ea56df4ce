from . import test_crm_relationship_phone_tour
