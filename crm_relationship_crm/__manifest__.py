{
    "name": "Customer Relationship - CRM",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "summary": "Pre-sale on the customer card: leads, opportunities won and lost, calls turned into "
    "opportunities, conversion from opportunity to order and the pre-sale cost",
    "author": "crm_relationship contributors",
    "website": "https://github.com/crm-relationship/crm_relationship",
    "license": "LGPL-3",
    "depends": ["crm_relationship_calendar", "crm", "sale_crm"],
    "data": [
        "security/ir.model.access.csv",
        "security/crm_relationship_crm_security.xml",
        "views/crm_lead_views.xml",
        "views/crm_relationship_call_views.xml",
        "views/res_partner_views.xml",
        "report/crm_relationship_profitability_report_views.xml",
        "report/crm_relationship_conversion_report_views.xml",
    ],
    "demo": [
        "demo/product_demo.xml",
        "demo/crm_lead_demo.xml",
        "demo/sale_order_demo.xml",
    ],
    "auto_install": True,
}
