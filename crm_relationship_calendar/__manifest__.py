{
    "name": "Customer Relationship - Calendar",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "summary": "Appointments and visits on the customer card: planned from a call, counted as the next "
    "action, closing the call with their outcome, costed in the cost to serve",
    "author": "crm_relationship contributors",
    "website": "https://github.com/crm-relationship/crm_relationship",
    "license": "LGPL-3",
    "depends": ["crm_relationship", "calendar"],
    "data": [
        "data/crm_relationship_calendar_data.xml",
        "views/calendar_event_views.xml",
        "views/crm_relationship_call_views.xml",
        "views/crm_relationship_call_channel_views.xml",
        "views/res_partner_views.xml",
        "wizard/crm_relationship_call_close_views.xml",
        "report/crm_relationship_profitability_report_views.xml",
    ],
    "demo": [
        "demo/res_partner_demo.xml",
        "demo/crm_relationship_call_demo.xml",
        "demo/calendar_event_demo.xml",
    ],
    "auto_install": True,
}
