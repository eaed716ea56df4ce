from collections import defaultdict

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestCrmRelationshipCrmDemo(TransactionCase):
    """The demo: Hotel Belvedere Lario, a prospect, asks for an offer on the website and on the phone, is
    visited, orders a boiler and becomes a customer with its first unit; Ferraro Caldaie has an opportunity
    in the pipeline and one lost."""

    def _card(self, xmlid):
        """The card of the customer ``xmlid`` as the demo operator sees it, in the company of the demo."""
        admin = self.env.ref("base.user_admin")
        partner = self.env.ref(xmlid)
        return partner.with_user(admin).with_context(allowed_company_ids=admin.company_id.ids)

    def test_demo_lead_from_the_website_became_the_won_opportunity(self):
        hotel = self.env.ref("crm_relationship_calendar.res_partner_belvedere_demo")
        laura = self.env.ref("crm_relationship_calendar.res_partner_belvedere_laura_demo")
        lead = self.env.ref("crm_relationship_crm.crm_lead_belvedere_demo")
        # A request from the website: her e-mail address only, which finds her company.
        self.assertEqual(lead.email_normalized, laura.email_normalized)
        self.assertEqual(lead.medium_id, self.env.ref("utm.utm_medium_website"))
        self.assertEqual(lead._crm_match_customers(), {lead.id: hotel})
        # Converted when she called, then won with the order.
        self.assertEqual((lead.type, lead.partner_id, lead.crm_customer_id), ("opportunity", laura, hotel))
        self.assertEqual(lead.won_status, "won")
        self.assertLess(lead.create_date, lead.date_conversion)
        self.assertLess(lead.date_conversion, lead.date_closed)
        offer_call = self.env.ref("crm_relationship_calendar.crm_relationship_call_belvedere_offer_demo")
        visit_call = self.env.ref("crm_relationship_calendar.crm_relationship_call_belvedere_visit_demo")
        self.assertEqual(offer_call.crm_lead_id, lead)
        self.assertEqual(
            offer_call.channel_id, self.env.ref("crm_relationship.crm_relationship_call_channel_phone")
        )
        self.assertEqual(lead.crm_call_ids, offer_call | visit_call)
        self.assertLess(lead.date_conversion - offer_call.date_start, lead.date_closed - lead.date_conversion)
        visit = self.env.ref("crm_relationship_calendar.calendar_event_belvedere_visit_demo")
        self.assertEqual(visit.opportunity_id, lead)

        order = self.env.ref("crm_relationship_crm.sale_order_belvedere_demo")
        self.assertEqual(lead.order_ids, order)
        self.assertEqual((order.opportunity_id, order.state), (lead, "sale"))
        self.assertEqual(order.partner_id.commercial_partner_id, hotel)
        self.assertEqual(lead.expected_revenue, order.amount_untaxed)

    def test_demo_delivery_registered_the_first_unit(self):
        hotel = self.env.ref("crm_relationship_calendar.res_partner_belvedere_demo")
        order = self.env.ref("crm_relationship_crm.sale_order_belvedere_demo")
        boiler = self.env.ref("crm_relationship_crm.product_boiler_cx115_demo")
        self.assertEqual(
            (boiler.tracking, boiler.is_storable, boiler.crm_register_equipment), ("serial", True, True)
        )
        delivery = order.picking_ids
        self.assertEqual(delivery.mapped("state"), ["done"])
        self.assertEqual(delivery.partner_id, hotel)
        lot = self.env.ref("crm_relationship_crm.stock_lot_cx115_0001_demo")
        self.assertEqual(delivery.move_line_ids.filtered(lambda ml: ml.product_id == boiler).lot_id, lot)
        unit = self.env["crm.relationship.equipment"].search([("lot_id", "=", lot.id)])
        self.assertEqual(
            (unit.partner_id, unit.sale_order_id, unit.picking_id, unit.serial_number, unit.state),
            (hotel, order, delivery, "CX115-2026-0001", "in_service"),
        )
        self.assertEqual(unit.delivery_date, delivery.date_done.date())
        self.assertEqual(
            unit.category_id, self.env.ref("crm_relationship.crm_relationship_equipment_category_boiler_demo")
        )

    def test_demo_card_tells_the_story_of_the_prospect(self):
        card = self._card("crm_relationship_calendar.res_partner_belvedere_demo")
        lead = self.env.ref("crm_relationship_crm.crm_lead_belvedere_demo")
        order = self.env.ref("crm_relationship_crm.sale_order_belvedere_demo")
        appointment = self.env.ref("crm_relationship_calendar.calendar_event_belvedere_appointment_demo")
        self.assertEqual(
            (card.crm_lead_count, card.crm_opportunity_count, card.crm_opportunity_won_count),
            (0, 0, 1),
        )
        self.assertEqual(card.crm_opportunity_won_amount, order.amount_untaxed)
        self.assertEqual(card.crm_opportunity_lost_count, 0)
        self.assertEqual((card.crm_appointment_count, card.crm_appointment_planned_count), (1, 1))
        self.assertEqual((card.crm_order_count, card.crm_delivery_count, card.crm_equipment_count), (1, 1, 1))
        self.assertEqual(card.crm_call_count, 2)
        # The next planned action is the upcoming appointment.
        self.assertEqual(card.crm_next_activity_id.calendar_event_id, appointment)
        self.assertEqual(card.crm_next_activity_id, appointment.activity_ids)

        # Oldest first, by day: the call, the visit (the row of its call), the order and the opportunity
        # won, the delivery and the unit it registered, the next appointment.
        by_day = defaultdict(set)
        for row in card.crm_timeline_ids[::-1]:
            by_day[row.date.date()].add(row.entry_type)
        self.assertEqual(
            list(by_day.values()),
            [{"call"}, {"call"}, {"order", "opportunity"}, {"delivery", "equipment"}, {"appointment"}],
        )
        opportunity_row = card.crm_timeline_ids.filtered(lambda row: row.entry_type == "opportunity")
        self.assertEqual((opportunity_row.res_id, opportunity_row.state), (lead.id, "won"))
        order_row = card.crm_timeline_ids.filtered(lambda row: row.entry_type == "order")
        self.assertEqual(order_row.res_id, order.id)

    def test_demo_existing_customer_with_an_open_and_a_lost_opportunity(self):
        card = self._card("crm_relationship.res_partner_ferraro_demo")
        open_opportunity = self.env.ref("crm_relationship_crm.crm_lead_ferraro_maintenance_demo")
        lost = self.env.ref("crm_relationship_crm.crm_lead_ferraro_showroom_demo")
        self.assertEqual(
            self.env.ref("crm_relationship.crm_relationship_call_ferraro_visit_demo").crm_lead_id,
            open_opportunity,
        )
        self.assertEqual((card.crm_opportunity_count, card.crm_opportunity_amount), (1, 7200.0))
        self.assertEqual(card.crm_opportunity_stages, f"{open_opportunity.stage_id.name} 1")
        self.assertIn("Richiamare l'ing. Ferraro", card.crm_opportunity_next_activity)
        self.assertEqual((lost.active, lost.won_status), (False, "lost"))
        self.assertEqual(lost.lost_reason_id, self.env.ref("crm.lost_reason_1"))
        self.assertEqual(card.crm_opportunity_lost_count, 1)
        self.assertEqual(
            card.crm_opportunity_lost_reasons, f"{lost.lost_reason_id.with_env(card.env).name} 1"
        )
        self.assertEqual(card.crm_opportunity_won_count, 0)
