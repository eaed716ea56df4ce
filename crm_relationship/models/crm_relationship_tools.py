"""Helpers shared by calls, equipment and defect reports.

* Workflow fields (a defect's status, dates and reference, a call's operator)
  change through the documents' actions only: the actions write them with
  :func:`workflow_env`, whose context value is a Python object that cannot be
  sent over RPC; other writes need the manager group (and are tracked).
* Error messages only name records the user may read: :func:`readable_name`
  and :func:`check_company_hiding_names`.
* Batch jobs read their batch size with :func:`get_batch_size` and run each
  batch with :func:`run_batch`; actions that answer with a notification build
  it with :func:`notification_action`.
"""

import logging

from psycopg2 import errorcodes

from odoo.exceptions import AccessError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import frozendict

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "crm_relationship.crm_relationship_group_manager"
WORKFLOW_CONTEXT_KEY = "crm_relationship_workflow"
_WORKFLOW_TOKEN = object()


def workflow_env(records):
    """``records`` allowed to write their workflow fields (for the documents' actions)."""
    return records.with_context(**{WORKFLOW_CONTEXT_KEY: _WORKFLOW_TOKEN})


def is_workflow_env(records):
    return records.env.context.get(WORKFLOW_CONTEXT_KEY) is _WORKFLOW_TOKEN


def without_workflow_env(records):
    """``records`` without the workflow permission, so it does not leak into later writes."""
    if WORKFLOW_CONTEXT_KEY in records.env.context:
        return records.with_context(**{WORKFLOW_CONTEXT_KEY: None})
    return records


def check_workflow_write(records, fnames):
    """Refuse to change the workflow fields ``fnames`` outside the actions, unless a manager does it."""
    if not fnames or records.env.su or is_workflow_env(records):
        return
    if records.env.user.has_group(MANAGER_GROUP):
        return
    labels = ", ".join(
        sorted(records._fields[fname].get_description(records.env)["string"] for fname in fnames)
    )
    raise AccessError(
        records.env._(
            "%(fields)s (%(document)s) change only through the buttons of the document; "
            "ask a Customer Relationship manager to correct them.",
            fields=labels,
            document=model_label(records),
        )
    )


def model_label(records):
    """The name of the model of ``records`` in the user's language."""
    return records.env["ir.model"]._get(records._name).name


def readable_name(env, record, fallback):
    """The display name of ``record`` when the user of ``env`` may read it, else ``fallback``."""
    if not record:
        return fallback
    # constraints run with sudo: check what the user himself may read
    env = env(su=False)
    record = record.with_env(env)
    if env.su or record._filtered_access("read") == record:
        return ", ".join(record.sudo().mapped("display_name"))
    return fallback


def check_company_hiding_names(records, fnames, check):
    """Run Odoo's company check ``check(fnames)``; when it fails on a record the
    user may not read, raise a message that names nothing instead of Odoo's,
    which lists the display names of the records involved."""
    try:
        return check(fnames)
    except UserError:
        env = records.env
        if env.su:
            raise
        names = fnames or [
            name for name, field in records._fields.items() if field.relational and field.check_company
        ]
        for record in records.sudo():
            for name in names:
                field = records._fields.get(name)
                if not (field and field.relational):
                    continue
                values = record[name].with_env(env)
                if values._filtered_access("read") != values:
                    raise UserError(
                        env._(
                            "This record (%(document)s) refers to a record of another company: choose "
                            "records of the company of the document.",
                            document=model_label(records),
                        )
                    ) from None
        raise


def get_int_param(env, param, default, minimum=0):
    """The system parameter ``param`` as an integer of at least ``minimum``,
    ``default`` when unset or invalid."""
    try:
        value = int(env["ir.config_parameter"].sudo().get_param(param, default))
    except (TypeError, ValueError):
        value = default
    return max(value, minimum)


def get_batch_size(env, param, default):
    """Records a batch job handles per committed batch: the system parameter
    ``param`` (a positive integer), ``default`` when unset or invalid."""
    return get_int_param(env, param, default, minimum=1)


# Reload the view behind the notification.
SOFT_RELOAD = frozendict({"type": "ir.actions.client", "tag": "soft_reload"})


def run_batch(env, remaining, func, *args):
    """Run one batch of a scheduled job, ``func(*args)``; False when it met a concurrent update.

    Operators keep changing the customers a job works on (a call updates the
    customer's last contact and next action). When the batch updates a row
    that another transaction changed since the job's snapshot, PostgreSQL
    refuses it. The batch is then undone, alone, and the job must stop: the
    batches before it are committed (``ir.cron._commit_progress``), the
    ``remaining`` items (this batch included) are reported, and Odoo's
    scheduler runs the job again at once, on a fresh snapshot, as Odoo retries
    a request. Nothing is done twice: the jobs skip what their committed
    batches did.
    """
    try:
        with env.cr.savepoint():
            func(*args)
    except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
        _logger.info("%s: batch undone, the job resumes on a fresh snapshot", errorcodes.lookup(error.pgcode))
        env["ir.cron"]._commit_progress(remaining=remaining)
        return False
    return True


def notification_action(message, notification_type="info", next_action=None):
    """Client action showing ``message`` as a notification, then ``next_action`` if any."""
    params = {"type": notification_type, "message": message}
    if next_action:
        params["next"] = next_action
    return {"type": "ir.actions.client", "tag": "display_notification", "params": params}
