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

    # public: settings are for administrators (model access); Odoo's settings form saves every field
    crm_portal_attachment_types = fields.Char(
        string="Accepted File Types",
        config_parameter=ATTACHMENT_TYPES_PARAM,
        default=ATTACHMENT_TYPES_DEFAULT,
        help="Comma-separated extensions of the files customers may attach on the portal; "
        "the content of each file is checked too.",
    )
    # public: settings are for administrators (model access); Odoo's settings form saves every field
    crm_portal_attachment_max_size = fields.Integer(
        string="Maximum File Size (MB)",
        config_parameter=ATTACHMENT_MAX_SIZE_PARAM,
        default=ATTACHMENT_MAX_SIZE_DEFAULT,
        help="Largest file a customer may attach on the portal.",
    )
    # public: settings are for administrators (model access); Odoo's settings form saves every field
    crm_portal_attachment_max_count = fields.Integer(
        string="Maximum Number of Files",
        config_parameter=ATTACHMENT_MAX_COUNT_PARAM,
        default=ATTACHMENT_MAX_COUNT_DEFAULT,
        help="Most files a customer may attach to one report or message on the portal.",
    )
