from . import crm_relationship_defect
from . import stock_lot
