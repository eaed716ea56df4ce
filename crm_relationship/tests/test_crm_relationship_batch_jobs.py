from odoo.tests import tagged

from .common import CronJobMixin, EquipmentCase

REGISTER_CRON = "crm_relationship.ir_cron_crm_relationship_equipment_register"


@tagged("post_install", "-at_install")
class TestCrmRelationshipRegisterJob(CronJobMixin, EquipmentCase):
    """Past deliveries registered by the scheduled action, in batches of move lines.

    Thirteen move lines delivered before the products were flagged, in this
    order: two boilers (serials 1 and 2) and three thermostats to the first
    customer, then serial 1 and one thermostat back, then serial 1 and four
    thermostats to the other customer, then six single thermostats to the
    first customer: 15 units.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["stock.quant"]._update_available_quantity(cls.thermostat, cls.stock_location, 100)
        cls.boiler.crm_register_equipment = False
        cls.accessories.crm_register_equipment = False
        order = cls._create_order([(cls.boiler, 2), (cls.thermostat, 3)])
        picking = cls._validate(order.picking_ids, lots=cls.lots[:2])
        cls._return(picking, {cls.boiler: 1, cls.thermostat: 1}, lots=cls.lots[0])
        order = cls._create_order(
            [(cls.boiler, 1), (cls.thermostat, 4)], partner=cls.other_customer, shipping=cls.other_site
        )
        cls._validate(order.picking_ids, lots=cls.lots[:1])
        for _index in range(6):
            cls._validate(cls._create_order([(cls.thermostat, 1)]).picking_ids)
        cls.boiler.crm_register_equipment = True
        cls.accessories.crm_register_equipment = True
        cls.move_lines = cls.env["stock.move.line"]._crm_get_equipment_lines_to_apply(company=cls.company)
        cls.env["ir.config_parameter"].set_param("crm_relationship.equipment_register_batch_size", "4")

    def _registry(self):
        """The registered units, as comparable values."""
        return sorted(
            (unit.partner_id.id, unit.site_id.id, unit.lot_id.id, unit.move_line_id.id, unit.state)
            + (unit.return_move_line_id.id, unit.delivery_date)
            for unit in self._equipment()
        )

    def _single_run(self):
        savepoint = self.env.cr.savepoint()
        self.move_lines._crm_register_equipment()
        registry = self._registry()
        savepoint.close(rollback=True)
        self.env.invalidate_all()
        return registry

    def _queue(self):
        wizard = self.env["crm.relationship.equipment.register"].with_user(self.rel_manager).create({})
        self.assertTrue(wizard.in_background, "more lines than one batch")
        action = wizard.action_register()
        self.assertEqual(action["params"]["type"], "info")
        self.assertEqual(wizard.state, "queued")
        return wizard

    def test_job_registers_in_batches_and_resumes_where_it_stopped(self):
        self.assertEqual(len(self.move_lines), 13)
        single_run = self._single_run()
        self.assertEqual(len(single_run), 15, "2 boilers and 13 thermostats")
        wizard = self._queue()
        self.assertEqual(wizard.move_line_count, 13)
        self.assertFalse(self._equipment(), "nothing registered in the request")

        with self._cron_env_out_of_time(REGISTER_CRON) as (env, progress):
            env["crm.relationship.equipment.register"]._cron_register_past_deliveries()
            self.assertEqual((progress.done, progress.remaining), (4, 9))
        self.assertEqual(wizard.last_move_line_id, self.move_lines[3], "stopped after one batch")
        self.assertEqual(len(self._equipment()), 5, "two boilers and three thermostats")
        self.assertEqual(wizard.state, "queued")

        progress = self._run_cron(REGISTER_CRON)
        self.assertEqual(progress.mapped("done"), [9], "resumed after the last line registered")
        self.assertEqual(progress.remaining, 0)
        self.assertEqual(wizard.state, "done")
        self.assertEqual(self._registry(), single_run, "the result of a single run")
        self.assertGreaterEqual(wizard.registered_count, 15)

        followers = self.env["mail.followers"].search_count(
            [("res_model", "=", "crm.relationship.equipment"), ("res_id", "in", self._equipment().ids)]
        )
        messages = self.env["mail.message"].search_count(
            [("model", "=", "crm.relationship.equipment"), ("res_id", "in", self._equipment().ids)]
        )
        self.assertEqual((followers, messages), (0, 0), "no follower, message or notification per unit")

        again = self._queue()
        self._run_cron(REGISTER_CRON)
        self.assertEqual(again.state, "done")
        self.assertEqual(again.registered_count, 0, "nothing registered twice")
        self.assertEqual(self._registry(), single_run)

    def test_request_done_when_its_last_batch_ends_the_run(self):
        self.env["ir.config_parameter"].set_param("crm_relationship.equipment_register_batch_size", "13")
        single_run = self._single_run()
        self.env["ir.config_parameter"].set_param("crm_relationship.equipment_register_batch_size", "12")
        wizard = self._queue()
        self.env["ir.config_parameter"].set_param("crm_relationship.equipment_register_batch_size", "13")
        with self._cron_env_out_of_time(REGISTER_CRON) as (env, progress):
            env["crm.relationship.equipment.register"]._cron_register_past_deliveries()
            self.assertEqual((progress.done, progress.remaining), (13, 0))
        self.assertEqual(wizard.state, "done", "nothing left: the request is done, not left queued")
        self.assertEqual(self._registry(), single_run)

    def test_register_beside_the_running_job_is_queued(self):
        self.env["ir.config_parameter"].set_param("crm_relationship.equipment_register_batch_size", "500")
        single_run = self._single_run()
        wizard = self.env["crm.relationship.equipment.register"].with_user(self.rel_manager).create({})
        self.assertFalse(wizard.in_background)
        self.assertEqual(wizard.equipment_to_create_count, 15)
        with self._job_running(REGISTER_CRON):
            action = wizard.action_register()
        self.assertEqual(action["params"]["type"], "info")
        self.assertEqual(wizard.state, "queued")
        self.assertFalse(self._equipment(), "nothing registered beside the job")
        self._run_cron(REGISTER_CRON)
        self.assertEqual(self._registry(), single_run)
        self.assertEqual(wizard.state, "done")
