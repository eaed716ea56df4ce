from odoo.tools import SQL


def migrate(cr, version):
    """Give the defect form's extension its new XML id (marked ``_inherit``) before
    the data files load, so that they update the same view instead of creating a
    second one and deleting the first."""
    if not version:
        return
    cr.execute(
        SQL(
            "UPDATE ir_model_data SET name = %s WHERE module = 'crm_relationship_mrp' AND name = %s",
            "crm_relationship_defect_view_form_inherit_crm_relationship_mrp",
            "crm_relationship_defect_view_form",
        )
    )
