from odoo.tests import tagged

from .common import PNG_1PX, CrmPortalCase


@tagged("post_install", "-at_install")
class TestPortalTour(CrmPortalCase):
    """A customer reports a problem about its unit with a photo, in the browser."""

    def test_report_problem_tour(self):
        self.start_tour("/my", "crm_relationship_portal_tour", login=self.portal_user_a.login, timeout=180)
        defect = self._portal_defects(self.customer_a)
        self.assertRecordValues(
            defect,
            [
                {
                    "state": "new",
                    "report_origin": "portal",
                    "equipment_id": self.unit_a.id,
                    "contact_id": self.contact_a.id,
                    "preferred_channel": "email",
                }
            ],
        )
        self.assertIn("Il display si spegne dopo pochi minuti", defect.description)
        photo = defect.message_ids.attachment_ids
        self.assertEqual(photo.name, "foto-guasto.png")
        self.assertEqual(photo.raw, PNG_1PX)
