"""Refresh docs/screenshots/ from a running Hotline (default http://127.0.0.1:8000, demo data loaded).

    .venv/bin/python scripts/screenshots.py [--base URL] [--engine 127.0.0.1:5060] [--out docs/screenshots]

Uses Debian's chromium through Playwright; pages are shot in zh-hans, the default language. The desk is shot
idle, ringing with a returning customer's pop, and during order entry: seat A-01's phone (SIP user 8001)
registers here and a real SIP call comes in from that customer's number. The wallboard is shot while
`hotline simulate airing` runs against the engine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import threading
import time
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


DESK_AGENT = "agent1"  # the demo agent at seat A-01, whose phone is SIP user 8001


def returning_customer(page: Page, base: str) -> dict[str, object]:
    """A demo customer with orders and a mobile number, through the API (the page is signed in as admin)."""
    for offset in range(0, 400, 50):
        customers = page.request.get(f"{base}/api/customers?limit=50&offset={offset}").json()["items"]
        for customer in customers:
            mobiles = [p["number"] for p in customer["phones"] if p["kind"] == "mobile"]
            orders = page.request.get(f"{base}/api/orders?customer_id={customer['id']}&limit=1").json()
            if mobiles and orders.get("count"):
                return {"name": customer["name"], "number": mobiles[0]}
    raise SystemExit("no demo customer with a mobile number and an order")


def ring_the_desk(engine: str, number: str, ring_seconds: float, stop: threading.Event) -> None:
    """Register seat A-01's phone, then call the hotline from `number` (menu key 1); runs until `stop`."""
    from hotline.simulate import DEFAULT_DNIS, DEMO_SIP_PASSWORD
    from hotline.simulate.airing import menu_cue
    from hotline.simulate.phones import AgentPhone, Caller, CallerPlan, SipEndpoint

    host, port = engine.rsplit(":", 1)

    async def run() -> None:
        phones = await SipEndpoint(host, trusted=(host,), name="screenshots phone").start()
        callers = await SipEndpoint(host, trusted=(), name="screenshots caller").start()
        phone = AgentPhone(phones, "8001", DEMO_SIP_PASSWORD, ring=(ring_seconds, ring_seconds), talk=(120, 120))
        await phone.register((host, int(port)))
        plan = CallerPlan(number=number, key="1", menu_delay=6.0, patience=120.0, talk=120.0, listen=0.0)
        call = asyncio.ensure_future(Caller(callers, plan, menu_cue=menu_cue).run(f"sip:{DEFAULT_DNIS}@{engine}"))
        while not stop.is_set():
            await asyncio.sleep(0.2)
        call.cancel()
        await phone.unregister()
        await callers.close()
        await phones.close()

    asyncio.run(run())


def shoot_desk(browser: object, base: str, engine: str, out: Path, customer: dict[str, object]) -> None:
    """The desk idle, ringing with the pop, and with an order being entered."""
    page = new_page(browser)
    log_in_front(page, base, DESK_AGENT)
    page.goto(f"{base}/desk/")
    page.wait_for_function("window.hotlineDesk && window.hotlineDesk.received.includes('hello')")
    if page.locator("#state-badge").get_attribute("data-state") != "ready":
        page.keyboard.press("F2")
        page.wait_for_selector("#state-badge[data-state=ready]")
    page.screenshot(path=str(out / "desk-idle.png"))
    stop = threading.Event()
    phone = threading.Thread(target=ring_the_desk, args=(engine, str(customer["number"]), 12.0, stop), daemon=True)
    phone.start()
    try:
        page.wait_for_function("window.hotlineDesk.pops.length > 0", timeout=40_000)
        time.sleep(0.5)
        page.screenshot(path=str(out / "desk-ringing-pop.png"))
        page.wait_for_selector("#call-bar[data-phase=on_call]", timeout=30_000)
        page.keyboard.press("F8")
        page.keyboard.type("103")  # a product's short code; Enter adds the highlighted result
        page.wait_for_selector("#product-results li.selected")
        page.keyboard.press("Enter")
        page.keyboard.type("jj")  # pinyin initials: 肩颈…
        page.wait_for_selector("#product-results li.selected")
        time.sleep(0.8)
        page.screenshot(path=str(out / "desk-order-entry.png"))
    finally:
        stop.set()
        phone.join(10)
    page.close()


def shoot_wallboard(browser: object, base: str, engine: str, out: Path) -> None:
    """The wallboard while `hotline simulate airing` places calls (agent phones 8002–8010)."""
    page = new_page(browser)
    log_in_front(page, base, "super1")
    page.goto(f"{base}/wallboard/")
    command = [str(Path(sys.executable).with_name("hotline")), "simulate", "airing", "--cps", "4", "--duration", "25",
               "--agents", "9", "--first-user", "8002", "--engine", engine, "--talk", "8-20"]
    simulation = subprocess.Popen(command, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(30)
        page.screenshot(path=str(out / "wallboard-airing.png"))
    finally:
        simulation.terminate()
        simulation.wait(30)
    page.close()


def new_page(browser: object) -> Page:
    return browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN",  # type: ignore[attr-defined]
                            extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})


def log_in_front(page: Page, base: str, username: str, password: str = "hotline-demo") -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="hotline-demo")
    parser.add_argument("--engine", default="127.0.0.1:5060", help="the demo engine's SIP address")
    parser.add_argument("--skip-live", action="store_true", help="only the back office")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN",
                                extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        log_in(page, args.base, args.user, args.password)
        if not args.skip_live:  # first: the simulated airing fills the call records and callbacks shot below
            customer = returning_customer(page, args.base)
            shoot_desk(browser, args.base, args.engine, out, customer)
            shoot_wallboard(browser, args.base, args.engine, out)
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
