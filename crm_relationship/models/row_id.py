"""Row ids of the SQL views: the customer timeline and the analytics reports.

Every row of a view comes from one record of one branch of the view (an
invoice, a call, a delivered move line...), and its id is::

    key * branches + branch        (a bigint)

``key`` is the id of that record and ``branch`` a number unique to the branch
of the view, below ``branches``: 1000 by default, with 1-99 for the branches
of this add-on and of its bridges and 100-999 free for integrators. An
integrator adding a branch to a report (``_get_branches()``, see
``crm.relationship.report.mixin``) gives it an unused number and its row id
``row_id(number, SQL("alias.id"))``.

Record ids are PostgreSQL ``integer`` (below 2**31), so these ids can neither
overflow nor collide, are the same from one query to the next and decode to
their record with ``divmod(row_id, 1000)``. They also stay below 2**53
(:data:`MAX_ROW_ID`), the largest integer the web client keeps exact: a
larger id would be rounded in the browser, which would then read or open
another row than the one displayed.

A branch whose rows combine two records packs them into ``key`` and narrows
``branches`` so that ids still stay below 2**53 (see
``crm.relationship.defect.component.report``).
"""

from odoo.tools import SQL

ROW_ID_BRANCHES = 1000
MAX_ROW_ID = 2**53 - 1


def row_id(branch, key, branches=ROW_ID_BRANCHES):
    """SQL of the id of a view's row: ``key * branches + branch``, a bigint.

    :param branch: number of the branch, an int from 0 to ``branches - 1``
        (or an SQL expression giving one)
    :param SQL key: the id of the row's record, an ``integer`` column
    :param int branches: how many branch numbers the report leaves room for
    """
    if isinstance(branch, int) and not 0 <= branch < branches:
        raise ValueError(f"Report branch numbers go from 0 to {branches - 1}, not {branch}.")
    return SQL("(%s)::bigint * %s + %s", key, branches, branch)
