from odoo import models


class CrmRelationshipCallSourceMixin(models.AbstractModel):
    """A document calls can be logged from: orders, delivery notes, invoices, equipment, customers.

    Its "Log a Call" button (:meth:`action_crm_log_call`) opens a new call pre-filled by
    :meth:`_prepare_crm_call_values`, the hook to override to pre-fill more. A document declares the
    call's field pointing back to it (``_crm_call_field``) and the department of the calls logged from
    it (``_crm_call_department``).
    """

    _name = "crm.relationship.call.source.mixin"
    _description = "Document Calls Are Logged From"

    # The field of crm.relationship.call pointing back to the document.
    _crm_call_field = None
    # The department of the calls logged from the document (a value of the call's ``department``).
    _crm_call_department = None

    def _prepare_crm_call_values(self):
        """Values (field names of crm.relationship.call to values) of a call logged from this document;
        override to pre-fill more.

        By default: the customer of the document's partner and the person when it is one, the document,
        its company, the department of its type and a subject naming it.
        """
        self.ensure_one()
        values = self.env["crm.relationship.call"]._prepare_partner_call_values(self.partner_id)
        values.update(
            {
                self._crm_call_field: self.id,
                "company_id": self.company_id.id,
                "department": self._crm_call_department,
                "subject": self.env._("About %s", self.name),
            }
        )
        return values

    def action_crm_log_call(self):
        """Open a new call pre-filled from this document, for users who may log calls and read it."""
        self.ensure_one()
        Call = self.env["crm.relationship.call"]
        Call.check_access("create")
        self.check_access("read")
        return Call._get_log_call_action(self._prepare_crm_call_values())
