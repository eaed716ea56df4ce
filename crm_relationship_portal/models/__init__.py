from . import crm_relationship_rating_mixin
from . import crm_relationship_call_outcome
from . import crm_relationship_call
from . import crm_relationship_defect
from . import crm_relationship_equipment
from . import crm_relationship_event_rule
from . import res_partner
from . import res_config_settings
