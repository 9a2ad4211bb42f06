"""Refresh docs/screenshots/ from a running Hotline (default http://127.0.0.1:8000, demo data loaded).

    .venv/bin/python scripts/screenshots.py [--base URL] [--out docs/screenshots]

Uses Debian's chromium through Playwright; pages are shot in zh-hans, the default language.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SHOTS = [
    ("backoffice-home", "/admin/"),
    ("backoffice-orders", "/admin/orders/order/"),
    ("backoffice-customers", "/admin/crm/customer/"),
    ("backoffice-products", "/admin/catalog/product/"),
    ("backoffice-airings", "/admin/media/airing/"),
    ("backoffice-audit", "/admin/accounts/auditentry/"),
    ("backoffice-customer-import", "/admin/crm/customer/import/"),
    ("backoffice-call-records", "/admin/calls/callrecord/"),
    ("backoffice-callbacks", "/admin/calls/callback/"),
    ("backoffice-queue", "/admin/calls/queue/1/change/"),
    ("backoffice-ivr-flow", "/admin/ivrdata/ivrflow/add/"),
]


def log_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_load_state("networkidle")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="hotline-demo")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN",
                                extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        log_in(page, args.base, args.user, args.password)
        first_order = None
        for name, path in SHOTS:
            page.goto(args.base + path)
            page.screenshot(path=str(out / f"{name}.png"))
            if name == "backoffice-orders":
                first_order = page.locator("#result_list tbody tr th a").first.get_attribute("href")
        if first_order:
            page.goto(args.base + first_order)
            page.screenshot(path=str(out / "backoffice-order-detail.png"), full_page=True)
        browser.close()
    print(f"screenshots written to {out}/")


if __name__ == "__main__":
    main()
