from . import crm_relationship_report_mixin
from . import crm_relationship_profitability_report
from . import crm_relationship_staff_report
from . import crm_relationship_defect_rate_mixin
from . import crm_relationship_defect_report
