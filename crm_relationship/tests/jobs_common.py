import time
from contextlib import closing, contextmanager

from odoo import api
from odoo.tools import SQL


class CronJobMixin:
    """Run the add-ons' scheduled actions as Odoo's cron workers do, inside the test transaction.

    For a ``TransactionCase``: the job's commits become savepoints of the test
    (``enter_registry_test_mode``), as in Odoo's own tests of ``ir.cron``.
    """

    def _run_cron(self, xmlid):
        """Run the job once through ``ir.cron._process_job``: progress records, loops, rescheduling.

        Return the progress records of this run, oldest first.
        """
        cron = self.env.ref(xmlid)
        Progress = self.env["ir.cron.progress"].sudo()
        before = Progress.search([("cron_id", "=", cron.id)])
        self.env.flush_all()
        with self.enter_registry_test_mode(), self.registry.cursor() as cr:
            job = {**cron.sudo().read(load=None)[0], "done": 0, "remaining": 0, "timed_out_counter": 0}
            self.registry["ir.cron"]._process_job(cr, job)
        return Progress.search([("cron_id", "=", cron.id), ("id", "not in", before.ids)], order="id")

    @contextmanager
    def _cron_env_out_of_time(self, xmlid):
        """Yield ``(env, progress)``: the environment of a call of the job whose time budget is spent.

        The job's first ``_commit_progress`` commits its batch and answers 0, as
        when a cron worker must stop, so the job stops after its first batch.
        """
        cron = self.env.ref(xmlid)
        with self.enter_registry_test_mode(), self.registry.cursor() as cr:
            env = api.Environment(cr, cron.sudo().user_id.id, {"cron_id": cron.id})
            cron, progress = env["ir.cron"].browse(cron.id)._add_progress()
            cron = cron.with_context(cron_end_time=time.monotonic() - 1)
            yield cron.env, progress

    @contextmanager
    def _job_running(self, xmlid):
        """Hold the job's row lock from another database connection, as a cron worker running it does."""
        cron = self.env.ref(xmlid)
        with closing(self.registry.cursor()) as worker_cr:
            worker_cr.execute(
                SQL("SELECT id FROM ir_cron WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED", cron.id)
            )
            self.assertTrue(worker_cr.fetchall(), "the other worker holds the job")
            try:
                yield
            finally:
                worker_cr.rollback()
