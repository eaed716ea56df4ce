from . import crm_relationship_call_close
from . import crm_relationship_call_lookup
from . import crm_relationship_equipment_register
from . import crm_relationship_equipment_lookup
from . import crm_relationship_defect_recall
