from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .crm_relationship_tools import readable_name


class CrmRelationshipCustomerMixin(models.AbstractModel):
    """A record about a customer, one of its people and documents of that customer (calls, defect reports).

    The customer (``partner_id``) is always the commercial entity, so the record shows on the card of the
    customer whoever of its people it concerns; the person is ``contact_id``. The documents linked (the
    fields named by ``_crm_customer_document_fields``: the equipment here, the orders, deliveries,
    invoices, ... a model adds) must be that customer's.

    The checks run with sudo (operators link documents of apps they cannot read) and their messages only
    name what the user may read. The model brings its ``company_id``, which the links are checked against.
    """

    _name = "crm.relationship.customer.mixin"
    _description = "Customer, Contact and Customer Documents"

    # Fields linking documents that must belong to the customer; extend on each model.
    _crm_customer_document_fields = ("equipment_id",)

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        compute="_compute_partner_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        check_company=True,
        domain="['|', ('is_company', '=', True), ('parent_id', '=', False)]",
    )
    contact_id = fields.Many2one(
        "res.partner",
        tracking=True,
        check_company=True,
        domain="[('commercial_partner_id', '=', partner_id)] if partner_id else []",
    )
    equipment_id = fields.Many2one(
        "crm.relationship.equipment",
        index="btree_not_null",
        check_company=True,
        domain="[('partner_id', '=', partner_id)] if partner_id else []",
    )

    @api.depends("contact_id")
    def _compute_partner_id(self):
        """The customer of the contact; override to take it from more links."""
        for record in self:
            if record.contact_id:
                record.partner_id = record.contact_id.commercial_partner_id

    @api.constrains(lambda self: ("partner_id", "contact_id", *self._crm_customer_document_fields))
    def _check_customer_documents(self):
        env = self.env
        hidden = env._("a record of another company")
        for record in self.sudo():
            customer = record.partner_id
            customer_fallback = hidden if customer else env._("(no customer)")
            customer_name = readable_name(env, customer, customer_fallback)
            if customer and customer.commercial_partner_id != customer:
                raise ValidationError(
                    env._(
                        "%(partner)s is a contact person: the customer must be the company (%(company)s); "
                        "put the person in the Contact field.",
                        partner=customer_name,
                        company=readable_name(env, customer.commercial_partner_id, hidden),
                    )
                )
            self._check_customer_contact(
                record.contact_id,
                customer,
                lambda person, owner: env._(
                    "%(contact)s does not work for %(customer)s.", contact=person, customer=owner
                ),
                customer_fallback=customer_fallback,
            )
            for fname in self._crm_customer_document_fields:
                document = record[fname]
                owner = document.partner_id.commercial_partner_id
                if document and owner != customer:
                    raise ValidationError(
                        env._(
                            "%(document)s belongs to %(owner)s, not to %(customer)s: choose a document of "
                            "%(customer)s.",
                            document=readable_name(env, document, hidden),
                            owner=readable_name(env, owner, env._("another customer")),
                            customer=customer_name,
                        )
                    )

    @api.model
    def _check_customer_contact(self, contact, customer, message, customer_fallback=None):
        """Raise ``message(contact_name, customer_name)`` unless ``contact`` is empty, ``customer`` itself
        or one of its people or addresses.

        The one rule of "a customer's person or address": other records that attach a partner to a
        customer (the installation site of a unit, ...) check it here. The names are those the user may
        read (``customer_fallback`` for a customer the user may not read).
        """
        if contact and contact.commercial_partner_id != customer.commercial_partner_id:
            hidden = self.env._("a record of another company")
            raise ValidationError(
                message(
                    readable_name(self.env, contact, hidden),
                    readable_name(self.env, customer, customer_fallback or hidden),
                )
            )

    @api.model
    def _get_customer_document_field_domain(self, model_name):
        """Domain (evaluated in the form) of a field choosing a document of ``model_name``: the customer
        documents of that type (its rule, ``_crm_get_customer_document_domain``) of ``partner_id``."""
        Document = self.env[model_name]
        rule = list(Document._crm_get_customer_document_domain())
        return f"{rule} + [({Document._crm_customer_path!r}, '=', partner_id)]"
