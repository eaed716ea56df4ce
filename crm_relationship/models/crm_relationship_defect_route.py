from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools import email_normalize, email_split

ROUTED_DEPARTMENTS = [
    ("sales", "Sales"),
    ("call_center", "Call Center"),
    ("production", "Production"),
]
# The responsible of each department on a defect report
RESPONSIBLE_FIELDS = {
    "sales": "user_sales_id",
    "call_center": "user_call_center_id",
    "production": "user_production_id",
}

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
    department without any matching rule falls back to the defaults
    (:meth:`_get_default_users`). The rules route many reports at once
    (:meth:`_route_defects`), as sales teams assign leads.
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

    def _get_defect_domain(self):
        """Domain of the defect reports the rule applies to; override to add criteria."""
        self.ensure_one()
        domain = Domain.TRUE
        if self.company_id:
            domain &= Domain("company_id", "=", self.company_id.id)
        if self.severity_min:
            rank = SEVERITY_RANK[self.severity_min]
            domain &= Domain("severity", "in", [code for code, r in SEVERITY_RANK.items() if r >= rank])
        if self.product_ids:
            domain &= Domain("product_id", "in", self.product_ids.ids)
        if self.product_category_ids:
            domain &= Domain("product_categ_id", "child_of", self.product_category_ids.ids)
        return domain

    @api.model
    def _get_default_users(self, defect, department):
        """Users involved in ``department`` of ``defect`` when no rule applies.

        The report's responsible of the department (sales: the customer's
        salesperson by default), with the company's call-center contacts for
        the call center and the company's production responsible for
        production.
        """
        company = defect.company_id
        company_users = {
            "call_center": company.crm_defect_call_center_user_ids,
            "production": company.crm_defect_production_user_id,
        }
        return defect[RESPONSIBLE_FIELDS[department]] | company_users.get(department, self.env["res.users"])

    @api.model
    def _route_defects(self, defects):
        """Route ``defects``: who must be involved in each of them, per department.

        ``{defect: {department: {"routes", "responsible", "partners",
        "emails"}}}`` for ``sales``, ``call_center`` and ``production``. The
        active rules are read once, with ``sudo()``, and each rule selects the
        reports it applies to (:meth:`_get_defect_domain`): no query per
        report. ``routes`` are the rules of the department matching the
        report; ``responsible`` is the report's responsible of the
        department or, when it has none, the first user of those rules, else
        of the defaults (:meth:`_assign_defect_responsibles` writes it). A
        department with matching rules involves their users, team members and
        plain addresses, and the responsible; a department without gets
        :meth:`_get_default_users`. Override to route differently: the
        followers and the confirmation e-mail follow the result.
        """
        Route = self.sudo()  # only managers read the rules
        matched = defaultdict(Route.browse)
        for route in Route.search([("active", "=", True)]):
            for defect in defects.filtered_domain(route._get_defect_domain()):
                matched[defect, route.department] |= route
        routing = {}
        for defect in defects:
            routing[defect] = {}
            for department, _label in ROUTED_DEPARTMENTS:
                routes = matched[defect, department]
                defaults = self._get_default_users(defect, department)
                responsible = defect[RESPONSIBLE_FIELDS[department]] or (routes.user_ids or defaults)[:1]
                if routes:
                    partners = routes._get_partners() | responsible.filtered("active").partner_id
                    emails = routes._get_emails()
                else:
                    partners = (responsible | defaults).filtered("active").partner_id
                    emails = []
                known = set(partners.mapped("email_normalized"))
                routing[defect][department] = {
                    "routes": routes,
                    "responsible": responsible,
                    "partners": partners,
                    "emails": [email for email in emails if email not in known],
                }
        return routing

    @api.model
    def _assign_defect_responsibles(self, routing):
        """Fill the empty responsibles of the reports of ``routing`` (see :meth:`_route_defects`)."""
        Defect = self.env["crm.relationship.defect"]
        defects_by_values = defaultdict(lambda: Defect)
        for defect, departments in routing.items():
            values = {
                fname: departments[department]["responsible"].id
                for department, fname in RESPONSIBLE_FIELDS.items()
                if not defect[fname] and departments[department]["responsible"]
            }
            if values:
                defects_by_values[tuple(sorted(values.items()))] |= defect
        for values, defects in defects_by_values.items():
            defects.write(dict(values))

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
