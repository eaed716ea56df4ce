from odoo.tests import tagged

from .common import CrmRelationshipCase


@tagged("post_install", "-at_install")
class TestCrmRelationshipSecurity(CrmRelationshipCase):
    def test_groups_hierarchy(self):
        group_user = self.env.ref("crm_relationship.crm_relationship_group_user")
        group_manager = self.env.ref("crm_relationship.crm_relationship_group_manager")
        self.assertIn(group_user, group_manager.all_implied_ids)
        self.assertIn(self.env.ref("base.group_user"), group_user.all_implied_ids)
        self.assertEqual(group_user.privilege_id, group_manager.privilege_id)
        self.assertEqual(group_user.privilege_id.category_id, self.env.ref("base.module_category_sales"))
        self.assertTrue(self.rel_manager.has_group("crm_relationship.crm_relationship_group_user"))
        self.assertFalse(self.rel_user.has_group("crm_relationship.crm_relationship_group_manager"))

    def test_admin_is_manager(self):
        self.assertTrue(
            self.env.ref("base.user_admin").has_group("crm_relationship.crm_relationship_group_manager")
        )

    def _visible_menus(self, user):
        return self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()

    def test_menus_by_group(self):
        root = self.env.ref("crm_relationship.crm_relationship_menu_root")
        customers = self.env.ref("crm_relationship.res_partner_menu_customer")
        config = self.env.ref("crm_relationship.crm_relationship_menu_config")
        user_menus = self._visible_menus(self.rel_user)
        self.assertIn(root.id, user_menus)
        self.assertIn(customers.id, user_menus)
        self.assertNotIn(config.id, user_menus, "Configuration is for managers only")
        manager_menus = self._visible_menus(self.rel_manager)
        self.assertIn(config.id, manager_menus)
        self.assertNotIn(root.id, self._visible_menus(self.internal_user))
