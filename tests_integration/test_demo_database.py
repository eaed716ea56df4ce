"""The database the commands build looks like the first users' company: Italian, in euros."""

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tools import config


def _database():
    names = config["db_name"]
    return names[0] if isinstance(names, list) else names


def test_demo_company_is_italian_and_in_euros():
    with Registry(_database()).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = env.ref("base.user_admin").company_id
        assert company.name == "Termotecnica Emiliana S.r.l."
        assert company.country_id == env.ref("base.it")
        assert company.currency_id == env.ref("base.EUR")
        assert company.vat == "IT03456780372"
        assert (company.city, company.zip, company.state_id.code) == ("Bologna", "40138", "BO")
        assert company.chart_template == "it", "the Italian chart of accounts"
        assert env.ref("base.user_demo").company_id == company
        assert env["res.lang"]._lang_get("it_IT").active, "Italian is available to users"
        assert env.ref("base.user_admin").lang == "en_US", "English stays the administrator's language"
        assert env["stock.warehouse"].search_count([("company_id", "=", company.id)]) == 1

        orders = env.ref("crm_relationship.sale_order_rossi_demo") | env.ref(
            "crm_relationship.sale_order_ferraro_demo"
        )
        assert orders.company_id == company
        assert set(orders.mapped("currency_id.name")) == {"EUR"}
        invoices = orders.invoice_ids
        assert invoices and set(invoices.mapped("state")) == {"posted"}
        assert set(invoices.mapped("currency_id.name")) == {"EUR"}
        assert all(tax.company_id == company for tax in invoices.invoice_line_ids.tax_ids)
        assert orders.picking_ids.picking_type_id.warehouse_id.company_id == company
