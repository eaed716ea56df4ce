from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools import email_normalize, email_split

ROUTED_DEPARTMENTS = [
    ("sales", "Sales"),
    ("call_center", "Call Center"),
    ("production", "Production"),
]

SEVERITIES = [
    ("low", "Low"),
    ("normal", "Normal"),
    ("high", "High"),
    ("critical", "Critical"),
]
SEVERITY_RANK = {code: rank for rank, (code, _label) in enumerate(SEVERITIES)}


class CrmRelationshipDefectRoute(models.Model):
    """Who must be involved, for one department, in the defects matching the rule.

    A rule matches a defect when every criterion it sets matches (product
    categories include their sub-categories; an empty criterion matches
    everything). Every matching rule adds its users, the members of its team
    and its e-mail addresses to the recipients of its department; a
    department without any matching rule falls back to the defaults (see
    ``crm.relationship.defect._get_default_recipients``).
    """

    _name = "crm.relationship.defect.route"
    _description = "Defect Routing Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    department = fields.Selection(ROUTED_DEPARTMENTS, required=True, default="production")
    company_id = fields.Many2one(
        "res.company", index=True, help="Leave empty to apply the rule to the defects of every company."
    )
    product_category_ids = fields.Many2many(
        "product.category",
        string="Product Categories",
        help="Defects of products of these categories or of their sub-categories. Empty: any product.",
    )
    product_ids = fields.Many2many(
        "product.product",
        string="Products",
        check_company=True,
        help="Defects of these products. Empty: any product.",
    )
    severity_min = fields.Selection(
        SEVERITIES,
        string="Minimum Severity",
        help="Defects of this severity or worse. Empty: any severity.",
    )
    user_ids = fields.Many2many(
        "res.users",
        string="Users",
        check_company=True,
        domain="[('share', '=', False)]",
    )
    team_id = fields.Many2one("crm.team", check_company=True, help="Every member of the team is involved.")
    email_addresses = fields.Char(
        string="Other E-mail Addresses",
        help="Comma-separated addresses of people without a contact in Odoo (e.g. a shared mailbox).",
    )

    @api.constrains("email_addresses")
    def _check_email_addresses(self):
        for route in self.filtered("email_addresses"):
            emails = email_split(route.email_addresses)
            invalid = [email for email in emails if not email_normalize(email)]
            if invalid or not emails:
                raise ValidationError(
                    self.env._(
                        "The rule %(rule)s has an invalid e-mail address: %(emails)s.",
                        rule=route.name,
                        emails=", ".join(invalid) or route.email_addresses,
                    )
                )

    @api.model
    def _get_matching_domain(self, defect):
        """Domain of the rules that apply to ``defect``; override to add criteria."""
        product = defect.product_id
        severities = [code for code, rank in SEVERITY_RANK.items() if rank <= SEVERITY_RANK[defect.severity]]
        domain = (
            Domain("company_id", "in", [False, defect.company_id.id])
            & (Domain("severity_min", "=", False) | Domain("severity_min", "in", severities))
            & (Domain("product_ids", "=", False) | Domain("product_ids", "in", product.ids))
        )
        if product.categ_id:
            domain &= Domain("product_category_ids", "=", False) | Domain(
                "product_category_ids", "parent_of", product.categ_id.ids
            )
        else:
            domain &= Domain("product_category_ids", "=", False)
        return domain

    @api.model
    def _get_matching_routes(self, defect):
        """Active rules that apply to ``defect``, read with ``sudo()`` (only managers read rules)."""
        return self.sudo().search(self._get_matching_domain(defect))

    def _get_partners(self):
        """Partners of the users and team members of the rules."""
        return (self.user_ids | self.team_id.member_ids).filtered("active").partner_id

    def _get_emails(self):
        """Normalized plain e-mail addresses of the rules."""
        emails = []
        for route in self:
            for email in email_split(route.email_addresses or ""):
                normalized = email_normalize(email)
                if normalized and normalized not in emails:
                    emails.append(normalized)
        return emails
