{
    "name": "Customer Relationship - Manufacturing",
    "version": "19.0.2.0.0",
    "category": "Sales/CRM",
    "summary": "Trace defect reports to the production orders, batches and component lots "
    "that made the units",
    "author": "crm_relationship contributors",
    "website": "https://github.com/crm-relationship/crm_relationship",
    "license": "LGPL-3",
    "depends": ["crm_relationship", "mrp"],
    "data": [
        "security/ir.model.access.csv",
        "security/crm_relationship_mrp_security.xml",
        "views/crm_relationship_defect_views.xml",
        "report/crm_relationship_defect_component_report_views.xml",
    ],
    "auto_install": True,
}
