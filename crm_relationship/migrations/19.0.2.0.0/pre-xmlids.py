from odoo.tools import SQL

MODULE = "crm_relationship"

# old XML id -> new XML id, named after the model they show and marked ``_inherit`` when they extend a view
RENAMED_XMLIDS = {
    "product_category_view_form": "product_category_view_form_inherit_crm_relationship",
    "product_template_view_form": "product_template_view_form_inherit_crm_relationship",
    "res_config_settings_view_form": "res_config_settings_view_form_inherit_crm_relationship",
    "stock_lot_view_form": "stock_lot_view_form_inherit_crm_relationship",
    "res_partner_view_search_customer_card": "res_partner_view_search_inherit_crm_relationship",
    "crm_relationship_call_action_no_next_action": "res_partner_action_no_next_action",
    "crm_relationship_call_action_overdue_next_action": "mail_activity_action_overdue_next_action",
    "crm_relationship_call_menu_no_next_action": "res_partner_menu_no_next_action",
    "crm_relationship_call_menu_overdue_next_action": "mail_activity_menu_overdue_next_action",
    "crm_relationship_settings_menu": "res_config_settings_menu_crm_relationship",
}


def rename_xmlids(cr, module, renamed):
    """Give the records of ``module`` their new XML ids before its data files load.

    The data files then update the same views, actions and menus: without this,
    the update would create new records and delete the old ones, with whatever
    hangs on them (views of other modules inheriting them, favourites, menus'
    translations).
    """
    for old, new in renamed.items():
        cr.execute(
            SQL(
                "UPDATE ir_model_data SET name = %(new)s WHERE module = %(module)s AND name = %(old)s "
                "AND NOT EXISTS (SELECT 1 FROM ir_model_data WHERE module = %(module)s AND name = %(new)s)",
                module=module,
                old=old,
                new=new,
            )
        )


def migrate(cr, version):
    if not version:
        return
    rename_xmlids(cr, MODULE, RENAMED_XMLIDS)
