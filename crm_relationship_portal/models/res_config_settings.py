from odoo import fields, models

from .crm_relationship_defect import (
    ATTACHMENT_MAX_COUNT_DEFAULT,
    ATTACHMENT_MAX_COUNT_PARAM,
    ATTACHMENT_MAX_SIZE_DEFAULT,
    ATTACHMENT_MAX_SIZE_PARAM,
    ATTACHMENT_TYPES_DEFAULT,
    ATTACHMENT_TYPES_PARAM,
)


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_portal_attachment_types = fields.Char(
        string="Accepted File Types",
        config_parameter=ATTACHMENT_TYPES_PARAM,
        default=ATTACHMENT_TYPES_DEFAULT,
        groups="crm_relationship.crm_relationship_group_manager",
        help="Comma-separated extensions of the files customers may attach on the portal; "
        "the content of each file is checked too.",
    )
    crm_portal_attachment_max_size = fields.Integer(
        string="Maximum File Size (MB)",
        config_parameter=ATTACHMENT_MAX_SIZE_PARAM,
        default=ATTACHMENT_MAX_SIZE_DEFAULT,
        groups="crm_relationship.crm_relationship_group_manager",
        help="Largest file a customer may attach on the portal.",
    )
    crm_portal_attachment_max_count = fields.Integer(
        string="Maximum Number of Files",
        config_parameter=ATTACHMENT_MAX_COUNT_PARAM,
        default=ATTACHMENT_MAX_COUNT_DEFAULT,
        groups="crm_relationship.crm_relationship_group_manager",
        help="Most files a customer may attach to one report or message on the portal.",
    )
