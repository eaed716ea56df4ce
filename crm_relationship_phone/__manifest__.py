{
    "name": "Customer Relationship - Telephony",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "summary": "The PBX tells Odoo who is calling: the operator's screen shows the customer, "
    "the call logs itself, numbers are dialled from the card",
    "author": "crm_relationship contributors",
    "website": "https://github.com/crm-relationship/crm_relationship",
    "license": "LGPL-3",
    "depends": ["crm_relationship", "bus"],
    "data": [
        "security/ir.model.access.csv",
        "security/crm_relationship_phone_security.xml",
        "views/crm_relationship_pbx_views.xml",
        "views/crm_relationship_pbx_queue_views.xml",
        "views/crm_relationship_phone_call_views.xml",
        "views/crm_relationship_call_views.xml",
        "views/res_users_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "wizard/crm_relationship_pbx_key_views.xml",
        "wizard/crm_relationship_pbx_test_call_views.xml",
        "views/crm_relationship_phone_menus.xml",
    ],
    "demo": [
        "demo/crm_relationship_pbx_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "crm_relationship_phone/static/src/**/*",
        ],
        "web.assets_tests": [
            "crm_relationship_phone/static/tests/tours/*.js",
        ],
    },
}
