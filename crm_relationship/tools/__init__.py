"""Pure-Python helpers of crm_relationship (no Odoo imports): statistical models used by the analytics."""
