{
    "name": "Customer Relationship - Customer Portal and Satisfaction",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "summary": "Customers see their equipment and requests on the portal, report problems, "
    "and rate every resolution; satisfaction on the card and in the analyses",
    "author": "crm_relationship contributors",
    "website": "https://github.com/crm-relationship/crm_relationship",
    "license": "LGPL-3",
    "depends": ["crm_relationship", "portal", "rating"],
    "data": [
        "security/ir.model.access.csv",
        "security/crm_relationship_portal_security.xml",
        "data/crm_relationship_portal_data.xml",
        "data/crm_relationship_rating_data.xml",
        "views/crm_relationship_defect_views.xml",
        "views/crm_relationship_call_outcome_views.xml",
        "views/crm_relationship_call_views.xml",
        "views/crm_relationship_event_rule_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/crm_relationship_portal_templates.xml",
        "views/crm_relationship_rating_templates.xml",
        "report/crm_relationship_satisfaction_report_views.xml",
        "views/crm_relationship_portal_menus.xml",
    ],
    "demo": [
        "demo/crm_relationship_rating_demo.xml",
        "demo/crm_relationship_portal_demo.xml",
    ],
    "assets": {
        "web.assets_frontend": [
            "crm_relationship_portal/static/src/**/*",
        ],
        "web.assets_tests": [
            "crm_relationship_portal/static/tests/tours/*.js",
        ],
    },
}
