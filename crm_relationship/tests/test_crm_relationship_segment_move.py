from datetime import timedelta

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import CrmRelationshipAnalyticsCase

EVENT_CRON = "crm_relationship.ir_cron_crm_relationship_event_rule"


@tagged("post_install", "-at_install")
class TestCrmRelationshipSegmentMove(CrmRelationshipAnalyticsCase):
    """The customers of the RFM test, scored once; then Eco buys four times:

    ========  ==============================  ===============================
    customer  first scoring                   after Eco's purchases
    ========  ==============================  ===============================
    Alfa      5 1 1 New Customers             4 1 1 New Customers (no move)
    Bravo     1 5 5 At Risk                   1 4 4 At Risk (no move)
    Carlo     4 4 4 Champions                 3 3 3 Need Attention
    Delta     3 3 3 Need Attention            2 2 2 Lost
    Eco       2 2 2 Lost                      5 5 5 Champions
    ========  ==============================  ===============================
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_rfm_customers()
        cls.Segment = cls.env["crm.relationship.rfm.segment"]
        cls.Move = cls.env["crm.relationship.segment.move"]
        cls.Segment._recompute_rfm()
        cls.champions = cls.env.ref("crm_relationship.crm_relationship_rfm_segment_champions")
        cls.lost = cls.env.ref("crm_relationship.crm_relationship_rfm_segment_lost")
        cls.attention = cls.env.ref("crm_relationship.crm_relationship_rfm_segment_others")
        cls.customers = cls.alfa | cls.bravo | cls.carlo | cls.delta | cls.eco

    def _moves(self):
        return self.Move.search([("partner_id", "in", self.customers.ids)])

    def _eco_buys(self):
        for days in (5, 6, 7, 8):
            self._create_invoice(self.eco, self.today - timedelta(days=days), price=3000.0)
        self.Segment._recompute_rfm()

    def _create_rule(self, **values):
        return self.env["crm.relationship.event.rule"].create(
            dict(
                {
                    "name": "Segment change",
                    "rule_type": "segment_change",
                    "company_id": self.company_a.id,
                    "responsible_type": "user",
                    "user_id": self.rel_manager.id,
                },
                **values,
            )
        )

    def test_first_scoring_is_no_move(self):
        self.assertEqual(self.eco.crm_segment_id, self.lost)
        self.assertFalse(self._moves())
        self.Segment._recompute_rfm()
        self.assertFalse(self._moves(), "nothing changed")

    def test_moves_recorded_with_scores(self):
        self._eco_buys()
        moves = {move.partner_id: move for move in self._moves()}
        self.assertEqual(set(moves), {self.carlo, self.delta, self.eco})
        self.assertEqual(
            (moves[self.eco].segment_from_id, moves[self.eco].segment_to_id), (self.lost, self.champions)
        )
        self.assertEqual(
            (moves[self.carlo].segment_from_id, moves[self.carlo].segment_to_id),
            (self.champions, self.attention),
        )
        self.assertEqual(
            (moves[self.delta].segment_from_id, moves[self.delta].segment_to_id), (self.attention, self.lost)
        )
        eco = moves[self.eco]
        self.assertEqual((eco.score_from, eco.score_to, eco.score_change), (6, 15, 9))
        self.assertEqual((moves[self.carlo].score_change, eco.date), (-3, self.today))
        self.assertEqual(eco.company_id, self.company_a)
        # shown on the card to a Relationship User
        values = self.eco.with_user(self.rel_user).web_read(
            {"crm_segment_move_ids": {"fields": {"segment_from_id": {"fields": {"display_name": {}}}}}}
        )[0]
        self.assertEqual(
            [move["segment_from_id"]["display_name"] for move in values["crm_segment_move_ids"]], ["Lost"]
        )

    def test_segment_rules_fire_once_per_move(self):
        from_champions = self._create_rule(
            name="A Champion cooled down", segment_from_id=self.champions.id, segment_to_id=self.attention.id
        )
        into_lost = self._create_rule(name="Became Lost", segment_to_id=self.lost.id)
        Trigger = self.env["ir.cron.trigger"].sudo()
        cron = self.env.ref(EVENT_CRON)
        triggers = Trigger.search_count([("cron_id", "=", cron.id)])
        self._eco_buys()
        self.assertGreater(
            Trigger.search_count([("cron_id", "=", cron.id)]), triggers, "the rules' job starts"
        )
        logs = (from_champions | into_lost)._evaluate()
        self.assertEqual(
            {(log.rule_id, log.partner_id) for log in logs},
            {(from_champions, self.carlo), (into_lost, self.delta)},
        )
        carlo_log = logs.filtered(lambda log: log.partner_id == self.carlo)
        self.assertEqual(carlo_log.value, 9)
        self.assertEqual(
            carlo_log.description, "Moved from the segment Champions to Need Attention (RFM score 9)."
        )
        self.assertEqual(carlo_log.activity_id.user_id, self.rel_manager)
        self.assertEqual(carlo_log.activity_id.res_id, self.carlo.id)
        self.assertFalse((from_champions | into_lost)._evaluate(), "each move fires once")
        self.Segment._recompute_rfm()
        self.assertFalse((from_champions | into_lost)._evaluate())

    def test_rule_of_another_company_does_not_fire(self):
        other = self.env["res.company"].create({"name": "Altra S.r.l."})
        rule = self._create_rule(company_id=other.id, user_id=self.env.user.id, segment_to_id=self.lost.id)
        self._eco_buys()
        self.assertFalse(rule._evaluate())

    def test_rule_needs_its_segments(self):
        with self.assertRaises(ValidationError):
            self._create_rule(segment_to_id=False)
        with self.assertRaises(ValidationError):
            self._create_rule(segment_from_id=self.lost.id, segment_to_id=self.lost.id)

    def test_rights(self):
        self._eco_buys()
        employee = new_test_user(self.env, "move_employee", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.Move.with_user(employee).search([])
        with self.assertRaises(AccessError):
            self._moves().with_user(self.rel_user).unlink()
        other = self.env["res.company"].create({"name": "Altra S.r.l."})
        outsider = new_test_user(
            self.env,
            "move_outsider",
            groups="crm_relationship.crm_relationship_group_user",
            company_id=other.id,
            company_ids=[other.id],
        )
        self.assertFalse(
            self.Move.with_user(outsider)
            .with_context(allowed_company_ids=[other.id])
            .search([("partner_id", "in", self.customers.ids)])
        )
