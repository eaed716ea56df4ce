{
    "name": "Customer Relationship - Email Marketing",
    "version": "19.0.1.0.0",
    "category": "Marketing/Email Marketing",
    "summary": "Customer segments and saved customer filters as mailing audiences, a guard against "
    "audiences that changed before sending, control groups and the revenue effect of a mailing",
    "author": "crm_relationship contributors",
    "website": "https://github.com/crm-relationship/crm_relationship",
    "license": "LGPL-3",
    "depends": ["crm_relationship", "mass_mailing"],
    "data": [
        "security/ir.model.access.csv",
        "security/crm_relationship_mass_mailing_security.xml",
        "views/crm_relationship_rfm_segment_views.xml",
        "views/mailing_filter_views.xml",
        "views/mailing_mailing_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "report/crm_relationship_mailing_effect_report_views.xml",
    ],
    "demo": [
        "demo/mailing_filter_demo.xml",
        "demo/mailing_mailing_demo.xml",
    ],
    "post_init_hook": "post_init_hook",
    "auto_install": True,
}
