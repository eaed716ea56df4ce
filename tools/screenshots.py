"""Take the README's screenshots from a running Odoo with the demo data, in headless Chromium.

    .venv/bin/python tools/screenshots.py --url http://127.0.0.1:8069 --db crm_relationship_demo

Logs in as admin and saves, under docs/screenshots/: the customer card, the card
of the prospect of the pre-sale demo (with CRM and Calendar), a call, an
equipment with its history and a defect report with its e-mail thread.
Needs the Python package ``playwright`` and Debian's ``chromium``.
"""

import argparse
import pathlib

from playwright.sync_api import sync_playwright

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHOTS = [
    # (file, action xml id, record (xml id or (model, domain)), element to wait for, notebook page)
    (
        "customer_card.png",
        "crm_relationship.res_partner_action_customer",
        "crm_relationship.res_partner_rossi_demo",
        "div[name='crm_timeline_ids'] .o_data_row",
        None,
    ),
    (
        "customer_card_presale.png",
        "crm_relationship.res_partner_action_customer",
        "crm_relationship_calendar.res_partner_belvedere_demo",
        "div[name='crm_timeline_ids'] .o_data_row",
        None,
    ),
    (
        "call.png",
        "crm_relationship.crm_relationship_call_action",
        "crm_relationship.crm_relationship_call_rossi_noise_demo",
        ".o_form_view .o-mail-Chatter",
        None,
    ),
    (
        "equipment.png",
        "crm_relationship.crm_relationship_equipment_action",
        ("crm.relationship.equipment", [["serial_number", "=", "CX24-2026-0002"]]),
        ".o_form_view .o-mail-Chatter",
        "service_history",
    ),
    (
        "defect.png",
        "crm_relationship.crm_relationship_defect_action",
        "crm_relationship.crm_relationship_defect_rossi_demo",
        ".o-mail-Message",
        None,
    ),
]


def search_read(page, url, model, domain, fields):
    response = page.request.post(
        f"{url}/web/dataset/call_kw/{model}/search_read",
        data={
            "jsonrpc": "2.0",
            "method": "call",
            "params": {
                "model": model,
                "method": "search_read",
                "args": [domain, fields],
                "kwargs": {"limit": 1},
            },
        },
    )
    return response.json().get("result")


def locate(page, url, record):
    """Id of the record given by its xml id, or by ``(model, domain)``."""
    if isinstance(record, tuple):
        model, domain = record
        result = search_read(page, url, model, domain, ["id"])
        key = "id"
    else:
        module, name = record.split(".")
        result = search_read(
            page, url, "ir.model.data", [["module", "=", module], ["name", "=", name]], ["res_id"]
        )
        key = "res_id"
    if not result:
        raise SystemExit(f"{record} not found: is the demo data installed?")
    return result[0][key]


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", default="crm_relationship_demo")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--only", nargs="*", help="file names of the screenshots to take (all by default)")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        page = browser.new_page(viewport={"width": 1440, "height": 1250})
        page.goto(f"{args.url}/web/login?db={args.db}")
        page.fill("input[name='login']", "admin")
        page.fill("input[name='password']", "admin")
        page.click("button[type='submit']")
        page.wait_for_selector(".o_main_navbar")
        for filename, action, record, ready, notebook_page in SHOTS:
            if args.only and filename not in args.only:
                continue
            res_id = locate(page, args.url, record)
            page.goto(f"{args.url}/odoo/action-{action}/{res_id}")
            page.wait_for_selector(ready, timeout=20000)
            if notebook_page:
                page.click(f".o_notebook a[name='{notebook_page}']")
            page.wait_for_timeout(800)
            page.screenshot(path=str(out / filename))
            print(f"saved {out / filename}")
        browser.close()


if __name__ == "__main__":
    main()
