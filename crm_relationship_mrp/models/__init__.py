from . import crm_relationship_defect
