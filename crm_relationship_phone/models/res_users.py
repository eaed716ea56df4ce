from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    crm_pbx_extension_ids = fields.One2many(
        "crm.relationship.pbx.extension",
        "user_id",
        string="PBX Extensions",
        groups="crm_relationship.crm_relationship_group_user",
        help="The user's extension on each phone system: calls for it pop up on the user's screen.",
    )
    crm_pbx_queue_ids = fields.Many2many(
        "crm.relationship.pbx.queue",
        "crm_relationship_pbx_queue_res_users_rel",
        "user_id",
        "queue_id",
        string="PBX Queues",
        groups="crm_relationship.crm_relationship_group_user",
        help="Calls ringing on these queues pop up on the user's screen.",
    )
