{
    "name": "Customer Relationship",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "summary": "Unified customer card, calls, installed base, defect reports and "
    "customer analytics built on the sale orders, deliveries and invoices "
    "already in Odoo",
    "author": "crm_relationship contributors",
    "website": "https://github.com/crm-relationship/crm_relationship",
    "license": "LGPL-3",
    "depends": ["sale_stock", "mail"],
    "data": [
        "security/crm_relationship_groups.xml",
        "security/ir.model.access.csv",
        "security/crm_relationship_security.xml",
        "views/crm_relationship_timeline_views.xml",
        "views/res_partner_views.xml",
        "views/sale_order_views.xml",
        "views/crm_relationship_menus.xml",
    ],
    "demo": [
        "demo/res_partner_demo.xml",
        "demo/product_demo.xml",
        "demo/sale_order_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crm_relationship/static/tests/tours/*.js",
        ],
    },
    "application": True,
}
