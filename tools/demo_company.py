"""Make the Italian localization's demo company the company of the demo.

Run by ``tools/dev.sh`` through ``odoo shell`` (which gives ``env``) once Odoo's
apps and ``l10n_it`` are installed with their demo data, before our add-ons:
their demo records are then created in this company (Italian chart of accounts,
taxes and euros), which is the company of the administrator and of every demo user.
Italian is installed beside English, which stays the users' language.
"""

from odoo import Command


def setup_italian_company(env):
    italian = env["res.lang"].with_context(active_test=False).search([("code", "=", "it_IT")])
    env["base.language.install"].create({"lang_ids": [Command.set(italian.ids)]}).lang_install()
    company = env.ref("base.demo_company_it")
    company.write(
        {
            "name": "Termotecnica Emiliana S.r.l.",
            "sequence": 0,
            "street": "Via dell'Industria 18",
            "zip": "40138",
            "city": "Bologna",
            "state_id": env.ref("base.state_it_bo").id,
            "country_id": env.ref("base.it").id,
            "vat": "IT03456780372",
            "company_registry": "BO-512345",
            "phone": "+39 051 602 3344",
            "email": "info@termotecnica-emiliana.example.it",
            "website": "https://www.termotecnica-emiliana.example.it",
        }
    )
    if not env["stock.warehouse"].search_count([("company_id", "=", company.id)]):
        env["stock.warehouse"].create({"name": "Bologna", "code": "BO", "company_id": company.id})
    users = env.ref("base.user_root") | env.ref("base.user_admin") | env.ref("base.user_demo")
    users.write({"company_ids": [Command.link(company.id)], "company_id": company.id})
    env.cr.commit()


setup_italian_company(env)  # noqa: F821
