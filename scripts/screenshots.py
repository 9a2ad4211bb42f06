"""Refresh docs/screenshots/ from a running `hotline demo` (default http://127.0.0.1:8000, engine 127.0.0.1:5060).

    HOTLINE_DATA_DIR=<the demo's data folder> .venv/bin/python scripts/screenshots.py \
        [--base URL] [--engine 127.0.0.1:5060] [--out docs/screenshots] [--skip-live] [--finance-only]
        [--reports-only] [--service-only]

Run it in the demo's environment (its HOTLINE_DATA_DIR): `hotline simulate airing`, started from here, signs its
agents in through the web app's REST API with tokens it issues in the demo's database. Uses Debian's chromium
through Playwright; pages are shot in zh-Hans, the default language, at 1440×900.

The demo's agents start signed out. The desk (agent1) confirms its usual seat A-01, whose phone (SIP user 8001)
registers from here, then presses F2: the desk idle, ringing with the showcase customer's pop (a real SIP call
from 13800138000 that presses no key), order entry on that call, and, once the call is over, an order for a new
caller placed with an empty name (the field's error shown and the field focused). The wallboard is shot while
`hotline simulate airing` runs against the engine (agents 8001–8010 signed in for it), then with agent2 ready at
a seat whose phone is not registered (就绪·话机离线) and agent3 not ready, the supervisor's buttons beside them.
agent1 opening the wallboard gets the 403 page. The back office is shot last, with a call record of the
simulated airing and its recording's player.

The finance workbench (finance1) is shot after logistics: the receivables with the ageing chart; a remittance
statement for the courier owed most (a GBK CSV made here from the demo's database: its oldest receivable
parcels, one paid short, one over, an unknown tracking number, a duplicate line and, when the courier has
one, a refused parcel paid) uploaded and its dry-run report; the statement applied and the open items it
left; today's daily close, and its PDF rendered to PNG with pdftoppm (Debian's poppler-utils). The last 14
days are closed first (those not closed yet), so that the receivables' trend has stored days to draw.
`--finance-only` shoots only these.

The reports (manager1, who lands on /reports/) are shot over the last seven days: the index, the call-center
KPIs, lines and IVR, the airing funnel for the demo airing with the most calls and then its two busiest
stations side by side, media planning, agent performance, business, custom reports, the calls behind the
airing that were answered (a drill-down), and the funnel's PDF rendered to PNG. `--reports-only` shoots only these:

    HOTLINE_DATA_DIR=$(mktemp -d) .venv/bin/hotline demo --no-engine --port 8000 &   # wait for it to serve
    HOTLINE_DATA_DIR=<the same folder> .venv/bin/python scripts/screenshots.py --reports-only

The customer-service screens need rows the demo does not load: before the browser starts, the script makes
them through the project's actions as the demo's users (once; a second run adds nothing): complaints opened
by agent1 and worked by super1 (taken, noted, contacted, one closed), a notice, blacklisted and reported
numbers, voicemails on five of the demo's unanswered calls, this week's birthday list greeted by SMS (which
fills the notification outbox), a running preview campaign with ten contacts disposed by agent1, and survey
answers on forty answered calls. super1 then shoots the knowledge base and an article, complaints and one
complaint's history, notices, care and the birthday list, campaigns and the campaign's results, voicemail,
the blacklist, the outbox and the screens menu (☰) opened; manager1 the complaint, campaign and survey
reports. agent1 answers a real call from the showcase customer (as for the desk above, so the engine must
run) and shoots the knowledge-base panel (F6, an article open), the complaint form (F4) and the customer
tools: report the number (F10), edit the customer (Alt+E), find an order (Alt+O); `--skip-live` leaves the
desk out. `--service-only` shoots only these:

    HOTLINE_DATA_DIR=<the demo's folder> .venv/bin/python scripts/screenshots.py --service-only
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, FilePayload, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--autoplay-policy=no-user-gesture-required"]
SHOTS = [
    ("backoffice-home", "/admin/"),
    ("backoffice-orders", "/admin/orders/order/"),
    ("backoffice-customers", "/admin/crm/customer/"),
    ("backoffice-products", "/admin/catalog/product/"),
    ("backoffice-airings", "/admin/media/airing/"),
    ("backoffice-audit", "/admin/accounts/auditentry/"),
    ("backoffice-customer-import", "/admin/crm/customer/import/"),
    ("backoffice-call-records", "/admin/calls/callrecord/"),
    ("backoffice-recordings", "/admin/calls/recording/"),
    ("backoffice-callbacks", "/admin/calls/callback/"),
    ("backoffice-queue", "/admin/calls/queue/1/change/"),
    ("backoffice-ivr-flow", "/admin/ivrdata/ivrflow/add/"),
]
DEMO_PASSWORD = "hotline-demo"
DESK_AGENT = "agent1"  # the demo agent whose usual seat is A-01, whose phone is SIP user 8001
DESK_SIP_USER = "8001"
SHOWCASE_NUMBER = "13800138000"  # the demo customer with the most orders (hotline.demo.data)
NEW_CALLER = "13912345670"  # a mobile number no demo customer has
OFFLINE_AGENT, PAUSED_AGENT = "agent2", "agent3"  # signed in for the phone-offline wallboard, no phone registered


# ---------------------------------------------------------------- pages


def new_page(browser: Browser) -> Page:
    """A page in a context of its own (its own sign-in), in Chinese, on Beijing time like the demo's server."""
    return browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai",
                            extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})


def log_in(page: Page, base: str, username: str, password: str) -> None:
    """Sign in to the back office."""
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_load_state("networkidle")


def log_in_front(page: Page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in to the desk and wallboard."""
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def open_desk(page: Page, base: str) -> None:
    """The desk, its websocket greeted."""
    page.goto(f"{base}/desk/")
    page.wait_for_function("() => window.hotlineDesk && window.hotlineDesk.received.includes('hello')")


def take_seat(page: Page) -> None:
    """Confirm the seat the desk offers (the agent's usual seat), as a signed-out agent does first."""
    if page.locator("#state-badge").get_attribute("data-state") == "logged_out":
        page.click("#btn-login")
        page.wait_for_selector("#state-badge:not([data-state=logged_out])")


def leave_seat(page: Page) -> None:
    """Sign out of the seat, so that the agent's state does not linger on the wallboard."""
    if page.locator("#state-badge").get_attribute("data-state") != "logged_out":
        page.click("#btn-logout")
        page.wait_for_selector("#state-badge[data-state=logged_out]")


# ---------------------------------------------------------------- the seat's phone and a caller


class SeatPhone:
    """Seat A-01's phone (a SIP user registering with the engine) and a caller ringing the hotline, on an asyncio
    loop of their own: Playwright's sync API keeps the main thread."""

    def __init__(self, engine: str, ring_seconds: float) -> None:
        host, port = engine.rsplit(":", 1)
        self.host, self.engine = host, (host, int(port))
        self.ring_seconds = ring_seconds
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.call: asyncio.Future[Any] | None = None

    def _run(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def register(self) -> None:
        """REGISTER SIP user 8001 (the demo seats' password): from now on the seat's phone can ring."""
        self._run(self._register())

    async def _register(self) -> None:
        from hotline.simulate import DEMO_SIP_PASSWORD
        from hotline.simulate.phones import AgentPhone, SipEndpoint

        self.phones = await SipEndpoint(self.host, trusted=(self.host,), name="screenshots phone").start()
        self.callers = await SipEndpoint(self.host, trusted=(), name="screenshots caller").start()
        ring = (self.ring_seconds, self.ring_seconds)
        self.phone = AgentPhone(self.phones, DESK_SIP_USER, DEMO_SIP_PASSWORD, ring=ring, talk=(300, 300))
        status = await self.phone.register(self.engine)
        if status != 200:
            raise SystemExit(f"seat phone {DESK_SIP_USER}: REGISTER answered {status}")

    def ring(self, number: str) -> None:
        """Call the hotline from `number`, speaking a customer's voice and pressing no key (one silent pass of the
        menu puts the caller through to the order queue)."""
        self._run(self._ring(number))

    async def _ring(self, number: str) -> None:
        from hotline.simulate import DEFAULT_DNIS
        from hotline.simulate.airing import callback_cue, menu_cue, through_cue
        from hotline.simulate.media import voice_frames
        from hotline.simulate.phones import Caller, CallerPlan

        plan = CallerPlan(number=number, key="", menu_delay=60.0, patience=300.0, talk=300.0, listen=0.0)
        caller = Caller(self.callers, plan, menu_cue=menu_cue, callback_cue=callback_cue, voice=voice_frames,
                        through_cue=through_cue)
        self.call = asyncio.ensure_future(caller.run(f"sip:{DEFAULT_DNIS}@{self.engine[0]}:{self.engine[1]}"))

    def hang_up(self) -> None:
        """The caller hangs up (the agent goes to wrap-up)."""
        if self.call is not None:
            self.loop.call_soon_threadsafe(self.call.cancel)
            self.call = None

    def close(self) -> None:
        """Hang up, un-REGISTER, close the sockets and stop the loop."""
        self.hang_up()
        if hasattr(self, "phone"):
            self._run(self._close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def _close(self) -> None:
        await asyncio.sleep(0.5)  # the caller's BYE goes out before the sockets close
        await self.phone.unregister()
        await self.callers.close()
        await self.phones.close()


# ---------------------------------------------------------------- the desk


def shoot_desk(browser: Browser, base: str, engine: str, out: Path) -> None:
    """agent1 confirms seat A-01 and goes ready once its phone registers: the desk idle, ringing with the pop,
    order entry during the call, then an order for a new caller refused for its empty name."""
    page = new_page(browser)
    log_in_front(page, base, DESK_AGENT)
    open_desk(page, base)
    take_seat(page)
    phone = SeatPhone(engine, ring_seconds=10.0)
    try:
        phone.register()
        page.keyboard.press("F2")
        page.wait_for_selector("#state-badge[data-state=ready][data-phone=online]")
        time.sleep(0.5)
        page.screenshot(path=str(out / "desk-idle.png"))
        phone.ring(SHOWCASE_NUMBER)
        shoot_pop(page, out)
        shoot_order_entry(page, out)
        phone.hang_up()
        page.wait_for_selector("#state-badge[data-state=wrap_up]", timeout=30_000)
        page.wait_for_selector("#state-badge[data-state=ready]", timeout=120_000)  # the queue's wrap-up time
        open_desk(page, base)  # a fresh desk: no pop from the last call
        shoot_new_caller_error(page, out)
    finally:
        phone.close()
    leave_seat(page)
    page.close()


def shoot_pop(page: Page, out: Path) -> None:
    """The call rings the seat: the pop with the customer, their orders and scripts."""
    page.wait_for_function("() => window.hotlineDesk.pops.length > 0", timeout=60_000)
    page.wait_for_selector("#pop .pop-card #pop-customer", timeout=10_000)
    page.wait_for_load_state("networkidle")
    time.sleep(0.8)
    page.screenshot(path=str(out / "desk-ringing-pop.png"))


def shoot_order_entry(page: Page, out: Path) -> None:
    """Answered: a product added by its short code, another searched by pinyin initials."""
    page.wait_for_selector("#call-bar[data-phase=on_call]", timeout=30_000)
    page.keyboard.press("F8")
    page.keyboard.type("103")  # a product's short code; Enter adds the highlighted result
    page.wait_for_selector("#product-results li.selected")
    page.keyboard.press("Enter")
    page.keyboard.type("jj")  # pinyin initials: 肩颈…
    page.wait_for_selector("#product-results li.selected")
    page.wait_for_function("() => document.querySelector('#order-total').textContent !== '¥0.00'")
    time.sleep(0.8)
    page.screenshot(path=str(out / "desk-order-entry.png"))


def shoot_new_caller_error(page: Page, out: Path) -> None:
    """Outside a call: F7, a number nobody has, "new customer", a product, Enter with the name left empty."""
    page.keyboard.press("F7")
    page.keyboard.type(NEW_CALLER)
    page.wait_for_selector("#customer-results li[role=option]")
    page.keyboard.press("ArrowUp")  # the last choice: a new customer with this number
    page.keyboard.press("Enter")
    page.wait_for_selector("#new-customer:not([hidden])")
    page.keyboard.press("F8")
    page.keyboard.type("103")
    page.wait_for_selector("#product-results li.selected")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#order-total').textContent !== '¥0.00'")
    page.fill("#address-text", "北京市朝阳区建国路88号")
    page.focus("#order-notes")  # leaving the address parses it
    page.wait_for_function("() => document.querySelector('#address-parsed').textContent.trim() !== ''")
    page.keyboard.press("Enter")  # places the order: refused, the name is empty
    page.wait_for_selector("#new-name[aria-invalid=true]")
    focused = page.evaluate("() => document.activeElement.id")
    if focused != "new-name":
        print(f"desk-new-caller-error: the focus is on #{focused}, not on the name", file=sys.stderr)
    time.sleep(0.5)
    page.screenshot(path=str(out / "desk-new-caller-error.png"))


# ---------------------------------------------------------------- the wallboard


def shoot_wallboard(browser: Browser, base: str, engine: str, out: Path) -> None:
    """The wallboard while `hotline simulate airing` places calls to agent phones 8001–8010 (it signs their
    agents in through the REST API and out at the end)."""
    page = new_page(browser)
    log_in_front(page, base, "super1")
    page.goto(f"{base}/wallboard/")
    page.wait_for_load_state("networkidle")
    command = [str(Path(sys.executable).with_name("hotline")), "simulate", "airing", "--cps", "4", "--duration", "30",
               "--agents", "10", "--engine", engine, "--web", base, "--talk", "8-20"]
    simulation = subprocess.Popen(command, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True)
    try:
        page.wait_for_function("() => document.querySelectorAll('#calls tbody tr').length >= 8", timeout=60_000)
        time.sleep(8)  # calls queue up behind the busy agents
        # the agents, and the first of the calls under them with the supervisor's listen / whisper / barge
        page.screenshot(path=str(out / "wallboard-airing.png"), full_page=True,
                        clip={"x": 0, "y": 0, "width": 1440, "height": 1300})
        output, _ = simulation.communicate(timeout=180)  # to its end: it signs its agents out
        print(output.strip())
    finally:
        if simulation.poll() is None:
            simulation.terminate()
            simulation.wait(30)
    page.close()


def shoot_phone_offline(browser: Browser, base: str, out: Path) -> None:
    """agent2 ready at seat A-02 with no phone registered there (就绪·话机离线, offered no call) and agent3 not
    ready: the supervisor's wallboard, with the buttons that set an agent ready."""
    desks = []
    for agent in (OFFLINE_AGENT, PAUSED_AGENT):
        desk = new_page(browser)
        log_in_front(desk, base, agent)
        open_desk(desk, base)
        take_seat(desk)
        desks.append(desk)
    offline, paused = desks
    for desk in desks:  # signed in not ready ("login"): F2 first, then F3 pauses with the reason chosen (小休)
        desk.keyboard.press("F2")
        desk.wait_for_selector("#state-badge[data-state=ready][data-phone=offline]")
    paused.keyboard.press("F3")
    paused.wait_for_selector("#state-badge[data-state=not_ready]")
    offline.screenshot(path=str(out / "desk-phone-offline.png"))
    page = new_page(browser)
    log_in_front(page, base, "super1")
    page.goto(f"{base}/wallboard/")
    page.wait_for_selector(".agent-state[data-phone=offline]", timeout=30_000)
    page.wait_for_load_state("networkidle")
    time.sleep(1)
    page.screenshot(path=str(out / "wallboard-phone-offline.png"))
    page.close()
    for desk in desks:
        leave_seat(desk)
        desk.close()


def shoot_forbidden(browser: Browser, base: str, out: Path) -> None:
    """An agent opening the wallboard: the 403 page, in Chinese, with the way back."""
    page = new_page(browser)
    log_in_front(page, base, DESK_AGENT)
    response = page.goto(f"{base}/wallboard/")
    if response is None or response.status != 403:
        print(f"error-403: /wallboard/ answered {response and response.status} to {DESK_AGENT}", file=sys.stderr)
    page.screenshot(path=str(out / "error-403.png"))
    page.close()


# ---------------------------------------------------------------- the back office


def shoot_back_office(page: Page, base: str, out: Path) -> None:
    """The back-office lists and forms, an order's page, and a recorded call's page with its player."""
    first_order = None
    for name, path in SHOTS:
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(out / f"{name}.png"))
        if name == "backoffice-orders":
            first_order = page.locator("#result_list tbody tr th a").first.get_attribute("href")
    if first_order:
        page.goto(base + first_order)
        page.screenshot(path=str(out / "backoffice-order-detail.png"), full_page=True)
    shoot_recording_player(page, base, out)


def shoot_recording_player(page: Page, base: str, out: Path) -> None:
    """The call record of the longest recording (one of the simulated airing's calls), its player loaded."""
    page.goto(f"{base}/admin/calls/recording/?o=-2")  # by duration (list_display[2]), longest first
    link = page.locator("#result_list tbody tr th a").first
    if not link.count():
        print("backoffice-recording-player: no recording yet (run without --skip-live first)", file=sys.stderr)
        return
    link.click()
    page.wait_for_load_state("networkidle")
    page.locator(".field-call a").first.click()  # the recording's call record
    page.wait_for_load_state("networkidle")
    page.set_viewport_size({"width": 1440, "height": 1300})  # the recordings under the call's fields
    player = page.locator("audio").first
    player.evaluate("audio => audio.play()")  # played for a moment, then paused: its time moves
    page.wait_for_function("() => document.querySelector('audio').currentTime >= 2", timeout=15_000)
    player.evaluate("audio => audio.pause()")
    time.sleep(0.5)
    page.screenshot(path=str(out / "backoffice-recording-player.png"))
    page.set_viewport_size({"width": 1440, "height": 900})


LOGISTICS_CLERK = "logis1"  # the demo's logistics clerk (hotline.demo.data)


def _first_order(page: Page, base: str, status: str) -> str:
    """The number of the first parcel in `status` on the tracking page ("" when there is none)."""
    page.goto(f"{base}/logistics/tracking/?status={status}")
    link = page.locator("section.card").nth(1).locator("tbody a").first
    return (link.text_content() or "").strip() if link.count() else ""


def approve_page(page: Page, base: str) -> None:
    """Review the first page of the queue with the keyboard: a ticks all, r approves."""
    page.goto(f"{base}/logistics/")
    page.keyboard.press("a")
    page.keyboard.press("r")
    page.wait_for_selector("#review-outcome", timeout=30_000)


def shoot_logistics(browser: Browser, base: str, out: Path) -> None:
    """The logistics workbench as its clerk works it, keyboard first: the review queue with its flags; then
    the page's orders approved (a, r) and batched by courier (2, c) for the batches; one of them scanned out;
    tracking; and a parcel on its way back opened on the returns screen."""
    page = new_page(browser)
    log_in_front(page, base, LOGISTICS_CLERK)
    page.goto(f"{base}/logistics/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out / "logistics-review.png"))
    approve_page(page, base)
    page.goto(f"{base}/logistics/batches/")
    page.keyboard.press("c")
    page.wait_for_selector("#batch-table tbody tr.current", timeout=30_000)
    approve_page(page, base)  # the next page of orders waits for a batch beside the batches just made
    page.goto(f"{base}/logistics/batches/")
    page.screenshot(path=str(out / "logistics-batches.png"))
    number = _first_order(page, base, "pending")
    page.goto(f"{base}/logistics/scan/")
    page.keyboard.type(number)
    page.keyboard.press("Enter")
    page.keyboard.type("700000000001")
    page.keyboard.press("Enter")
    page.wait_for_selector("#scan-result p.ok, #scan-result p.error", timeout=15_000)
    page.screenshot(path=str(out / "logistics-scan.png"))
    page.goto(f"{base}/logistics/tracking/")
    page.screenshot(path=str(out / "logistics-tracking.png"))
    page.goto(f"{base}/logistics/returns/?order={_first_order(page, base, 'returning')}")
    page.select_option("select[name^=condition_]", "damaged")
    with page.expect_navigation():
        page.click("form[action*=receive] button[type=submit]")
    page.goto(f"{base}/logistics/returns/?order={_first_order(page, base, 'returning')}")
    page.screenshot(path=str(out / "logistics-returns.png"))
    page.close()


# ---------------------------------------------------------------- the finance workbench

FINANCE_CLERK = "finance1"  # the demo's finance clerk (hotline.demo.data)


@dataclass
class Statement:
    """A remittance statement made from the demo's database for the screenshots."""

    courier_id: int
    number: str
    data: bytes


def demo_statement() -> Statement | None:
    """The courier owed most: its 12 oldest receivable parcels nothing was paid for yet (one paid ¥20 short,
    one ¥10 over), a tracking number nobody has, the first line again, and a refused parcel of the courier
    paid; a GBK CSV with a total row, in the usual Chinese headers. Reads the demo's database
    (HOTLINE_DATA_DIR) before the browser starts: Playwright's sync API runs an event loop that Django's ORM
    refuses to run in."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    import django

    django.setup()
    from hotline.finance.receivables import receivable_rows, receivables
    from hotline.lib.money import yuan
    from hotline.logistics.models import Courier, Shipment

    owed = receivables()
    if not owed.rows:
        print("finance: the demo has no receivables; no statement", file=sys.stderr)
        return None
    courier = Courier.objects.get(pk=owed.rows[0].courier_id or 0)
    unpaid = (row for row in receivable_rows(courier, as_of=owed.as_of) if row.paid == 0)  # not on a statement yet
    lines = [(row.tracking_number, row.order_number, row.due) for row, _n in zip(unpaid, range(12), strict=False)]
    lines[-2] = (lines[-2][0], lines[-2][1], lines[-2][2] - Decimal("20.00"))
    lines[-1] = (lines[-1][0], lines[-1][1], lines[-1][2] + Decimal("10.00"))
    lines += [("XX000000000CN", "", Decimal("398.00")), lines[0]]
    refused = (Shipment.objects.filter(courier=courier, status__in=["refused", "returning", "returned"],
                                       delivered_at=None, cod_due__gt=0).select_related("order").first())
    if refused is not None:
        lines.append((refused.tracking_number or "", refused.order.number, refused.cod_due))
    rows = ["运单号,订单号,代收金额,手续费,实付金额"]
    total = Decimal("0.00")
    for tracking, order, collected in lines:
        fee = yuan(max(collected * courier.cod_fee_percent / 100, courier.cod_fee_min))
        rows.append(f"{tracking},{order},{collected},{fee},{collected - fee}")
        total += collected - fee
    rows.append(f"合计,,,,{total}")
    number = f"{courier.code.upper()}-{datetime.datetime.now():%Y%m%d%H%M}"
    return Statement(courier.pk, number, ("\r\n".join(rows) + "\r\n").encode("gbk"))


def shoot_remittance(page: Page, base: str, out: Path, statement: Statement) -> None:
    """The statement uploaded: the dry run's report, shot; then applied."""
    page.goto(f"{base}/finance/remittances/")
    page.select_option("#id_courier", str(statement.courier_id))
    page.fill("#id_number", statement.number)
    upload: FilePayload = {"name": f"{statement.number}.csv", "mimeType": "text/csv", "buffer": statement.data}
    page.set_input_files("#id_file", files=upload)
    with page.expect_navigation():
        page.click("#remittance-upload button[type=submit]")
    page.wait_for_selector("#remittance-result", timeout=120_000)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out / "finance-remittance-dry-run.png"), full_page=True)
    if not page.locator("#remittance-apply button[value=apply]").count():
        print("finance: the dry run offers no apply; no open items", file=sys.stderr)
        return
    with page.expect_navigation():
        page.click("#remittance-apply button[value=apply]")
    page.wait_for_selector("#job.job-done, #job.job-failed", timeout=120_000)


def shoot_close_pdf(page: Page, base: str, out: Path) -> None:
    """Today's close as the PDF the workbench serves, its first page rendered to PNG at 150 dpi."""
    day = datetime.date.today().isoformat()
    response = page.request.get(f"{base}/finance/close/{day}/pdf/")
    if not response.ok or not response.body().startswith(b"%PDF"):
        print(f"finance-close-pdf: /finance/close/{day}/pdf/ answered {response.status}", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "close.pdf"
        source.write_bytes(response.body())
        subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", str(source), str(out / "finance-close-pdf")],
                       check=True)


def close_past_days(page: Page, base: str, days: int = 14) -> None:
    """Close each of the last `days` days not closed yet, oldest first, with the close page's button: the
    receivables' trend is drawn from the stored closes."""
    today = datetime.date.today()
    for back in range(days, 0, -1):
        day = (today - datetime.timedelta(days=back)).isoformat()
        page.goto(f"{base}/finance/close/?day={day}")
        button = page.locator(f"form[action$='/close/{day}/close/'] button[type=submit]")
        if button.count():
            with page.expect_navigation():
                button.click()


def shoot_finance(browser: Browser, base: str, out: Path, statement: Statement | None) -> None:
    """finance1 closes the last two weeks (once), lands on the receivables (the ageing chart drawn), uploads
    and applies a statement, then the open items, today's daily close and its PDF."""
    page = new_page(browser)
    log_in_front(page, base, FINANCE_CLERK)
    close_past_days(page, base)
    page.goto(f"{base}/finance/")
    page.wait_for_selector("#ageing-chart svg", timeout=30_000)
    time.sleep(1.5)  # ECharts animates the bars in
    page.screenshot(path=str(out / "finance-receivables.png"), full_page=True)
    if statement is not None:
        shoot_remittance(page, base, out, statement)
    page.goto(f"{base}/finance/open_items/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out / "finance-open-items.png"), full_page=True)
    page.goto(f"{base}/finance/close/")
    page.wait_for_selector("#close-figures", timeout=30_000)
    page.screenshot(path=str(out / "finance-close.png"), full_page=True)
    shoot_close_pdf(page, base, out)
    page.close()


MANAGER = "manager1"  # the demo's manager (hotline.demo.data)


@dataclass
class ReportTargets:
    """What the reports' screenshots show: the last seven days, the airing with the most calls, and the two
    stations with the most calls."""

    first: datetime.date
    last: datetime.date
    airing: int | None
    stations: list[int]


def demo_report_targets() -> ReportTargets:
    """Read from the demo's database before the browser starts (see demo_statement)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    import django

    django.setup()
    from django.db.models import Count
    from django.utils import timezone

    from hotline.reports.models import CallFact

    last = timezone.localdate()
    first = last - datetime.timedelta(days=6)
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time()))
    facts = CallFact.objects.filter(arrived_at__gte=start)
    top = facts.exclude(airing=None).values("airing").annotate(n=Count("id")).order_by("-n", "airing").first()
    stations = [row["station"] for row in facts.exclude(station=None).values("station").annotate(n=Count("id"))
                .order_by("-n", "station")[:2]]
    return ReportTargets(first, last, top["airing"] if top else None, stations)


REPORT_MAX_HEIGHT = 2400  # a report of a thousand rows is shot down to here, not to its end


def shoot_report(page: Page, base: str, out: Path, name: str, path: str) -> None:
    """One report page, down to REPORT_MAX_HEIGHT, once its charts are drawn."""
    page.goto(f"{base}{path}")
    page.wait_for_load_state("networkidle")
    if page.locator("[data-chart]").count():
        page.wait_for_selector("[data-chart] svg", timeout=30_000)
        time.sleep(0.5)
    height = min(REPORT_MAX_HEIGHT, page.evaluate("() => document.documentElement.scrollHeight"))
    page.screenshot(path=str(out / f"{name}.png"), full_page=True,
                    clip={"x": 0, "y": 0, "width": 1440, "height": height})


def shoot_reports(browser: Browser, base: str, out: Path, targets: ReportTargets) -> None:
    """manager1: every report over the last seven days, the funnel of one airing and of two stations, the
    calls behind the airing, and the funnel's PDF."""
    page = new_page(browser)
    log_in_front(page, base, MANAGER)
    week = f"period=custom&from={targets.first.isoformat()}&to={targets.last.isoformat()}"
    airing = f"&airing={targets.airing}" if targets.airing else ""
    stations = "".join(f"&station={pk}" for pk in targets.stations)
    shots = [("reports-index", "/reports/"), ("reports-kpis", f"/reports/kpis/?{week}&grain=day"),
             ("reports-lines", f"/reports/lines/?{week}&grain=hour"),
             ("reports-funnel", f"/reports/funnel/?{week}{airing}"),
             ("reports-funnel-stations", f"/reports/funnel/?{week}{stations}"),
             ("reports-media", f"/reports/media/?{week}"), ("reports-agents", f"/reports/agents/?{week}"),
             ("reports-business", f"/reports/business/?{week}"), ("reports-custom", f"/reports/custom/?{week}"),
             ("reports-drill", f"/reports/drill/calls/?outcome=answered{airing}")]
    for name, path in shots:
        shoot_report(page, base, out, name, path)
    response = page.request.get(f"{base}/reports/funnel/?{week}{stations}&format=pdf")
    if response.ok and response.body().startswith(b"%PDF"):
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / "funnel.pdf"
            source.write_bytes(response.body())
            subprocess.run(["pdftoppm", "-png", "-r", "110", "-singlefile", str(source),
                            str(out / "reports-funnel-pdf")], check=True)
    else:
        print(f"reports-funnel-pdf: the funnel's PDF answered {response.status}", file=sys.stderr)
    page.close()


# ---------------------------------------------------------------- customer service

SUPERVISOR = "super1"  # the demo's supervisor: complaints, knowledge base, care, campaigns, voicemail, blacklist
COMPLAINTS = [  # (summary, priority, what happens next: "" open, "taken", "contacted", "closed")
    ("收到的颈椎按摩仪无法充电，指示灯不亮，要求换货。", "high", "contacted"),
    ("快递员送货态度恶劣，未送货上门，要求自取。", "normal", "taken"),
    ("电视上说买二送一，实际只收到两套，要求补发赠品。", "urgent", ""),
    ("货到付款多收了15元运费，要求退还差价。", "normal", "closed"),
    ("订购一周仍未发货，客服电话一直占线。", "high", ""),
    ("退货已寄回十天，退款还没到账。", "low", "taken"),
]
BLACKLIST = [("13000000013", "reject", "连续恶意骚扰来电，辱骂坐席"), ("15900000721", "warn", "多次下单后拒收")]
NOTICE = ("今晚湖南卫视新品首播：颈椎按摩仪", "20:00 起热线话务量预计翻倍，请全体坐席提前 10 分钟到岗，首播价 298 元，"
          "赠品以主管通知为准。")


@dataclass
class ServiceTargets:
    """What the customer-service screenshots open: a complaint with a history, a knowledge-base article, a
    care list of birthdays and a campaign with results."""

    complaint: int | None
    article: int | None
    care_list: int | None
    campaign: int | None


def _wav(path: Path, seconds: float = 6.0) -> None:
    """A quiet 8 kHz mono WAV: a voicemail's file, so that its row can be played and downloaded."""
    import math
    import wave

    path.parent.mkdir(parents=True, exist_ok=True)
    frames = bytes(b for n in range(int(8000 * seconds))
                   for b in int(800 * math.sin(n / 8000 * 2 * math.pi * 440)).to_bytes(2, "little", signed=True))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(frames)


def demo_service_data() -> ServiceTargets:
    """Give the customer-service screens rows to show, through the project's actions as the demo's users
    (once: a second run finds them and adds nothing): complaints at each step of their life, a notice, two
    blacklisted numbers, voicemails left on the demo's calls, this week's birthday list greeted by SMS (the
    notification outbox fills), a preview campaign with dispositions and survey answers. Reads and writes the
    demo's database before the browser starts (see demo_statement)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.utils import timezone

    from hotline.calls.audio import recordings_dir
    from hotline.calls.callback_actions import do_file_voicemail
    from hotline.calls.models import CallRecord, Queue, Voicemail
    from hotline.campaigns.actions import (
        do_create_campaign,
        do_dispose_contact,
        do_load_list,
        do_preview_dialled,
        do_record_survey,
        do_set_campaign_status,
        do_take_preview,
    )
    from hotline.campaigns.lists import customers_of
    from hotline.campaigns.models import Campaign, SurveyResult
    from hotline.crm.actions import do_blacklist_number, do_report_number
    from hotline.crm.care import birthday_criteria
    from hotline.crm.care_actions import collect_list, do_greet_list, do_produce_list
    from hotline.crm.care_models import CareList
    from hotline.crm.models import BlacklistEntry, Customer
    from hotline.kb.models import Article
    from hotline.service.actions import do_post_notice
    from hotline.service.complaint_actions import (
        do_add_complaint_note,
        do_close_complaint,
        do_open_complaint,
        do_record_contact,
        do_take_complaint,
    )
    from hotline.service.models import Category, Complaint, Notice

    users = get_user_model().objects
    supervisor, agent = users.get(username=SUPERVISOR), users.get(username=DESK_AGENT)
    now = timezone.now()
    if not Complaint.objects.exists():
        categories = list(Category.objects.order_by("position", "code"))
        buyers = Customer.objects.filter(orders__isnull=False).distinct().order_by("pk")[:len(COMPLAINTS)]
        for n, ((summary, priority, step), customer) in enumerate(zip(COMPLAINTS, buyers, strict=False)):
            complaint = do_open_complaint(customer, summary, actor=agent, category=categories[n % len(categories)],
                                          order=customer.orders.order_by("-pk").first(), priority=priority)
            if step:
                complaint = do_take_complaint(complaint, actor=supervisor)
                do_add_complaint_note(complaint, "已联系物流核实，等待仓库回复。", actor=supervisor)
            if step in ("contacted", "closed"):
                do_record_contact(complaint, "no_answer", "上午十点回电，无人接听。", actor=supervisor)
                do_record_contact(complaint, "reached", "客户同意换货，已安排上门取件。", actor=supervisor)
            if step == "closed":
                do_close_complaint(complaint, "已退还多收运费15元，客户表示满意。", actor=supervisor)
    if not Notice.objects.exists():
        do_post_notice(*NOTICE, actor=supervisor, expires_at=now + datetime.timedelta(days=2))
    if not BlacklistEntry.objects.exists():
        for number, action, reason in BLACKLIST:
            do_blacklist_number(number, actor=supervisor, action=action, reason=reason)
        do_report_number("17000000088", actor=agent, reason="来电无声，反复挂断")
    if not Voicemail.objects.exists():
        left = CallRecord.objects.exclude(caller="").filter(outcome__in=["voicemail", "abandoned_in_queue"])
        for call in left.order_by("-arrived_at")[:5]:
            path = Path("voicemail") / f"{call.call_id}.wav"
            _wav(recordings_dir() / path)
            do_file_voicemail(call.call_id, str(path), 6.0)
    if not CareList.objects.exists():
        criteria = birthday_criteria("week")
        do_greet_list(do_produce_list(criteria, collect_list(criteria, actor=supervisor), actor=supervisor),
                      actor=supervisor)
    if not Campaign.objects.exists():
        # the first list with customers in the demo's data: follow-ups 7 days after delivery, else rescue calls
        # of the last month's refusals, else next week's birthdays
        plans = [("签收满意度回访（7天）", "delivered", 7), ("拒收挽回（近30天）", "refused", 30),
                 ("生日关怀回访（未来7天）", "birthday", 7)]
        found = [plan for plan in plans if next(customers_of(Campaign(source=plan[1], days=plan[2])), None)]
        name, source, days = (found or plans)[0]
        campaign = do_create_campaign(
            name=name, source=source, mode="preview", days=days, actor=supervisor,
            queue=Queue.objects.order_by("pk").values_list("name", flat=True).first() or "",
            window_start=datetime.time(0), window_end=datetime.time(23, 59),
            script="您好，我是购物热线的回访专员，耽误您一分钟，想了解一下您对我们的商品和服务是否满意？")
        do_load_list(campaign, actor=supervisor)
        do_set_campaign_status(campaign, "running", actor=supervisor)
        for n, disposition in enumerate(["满意", "满意", "已下单", "不满意", "考虑中", "no_answer", "满意",
                                         "勿再来电", "busy", "满意"]):
            contact = do_take_preview(campaign, actor=agent)
            if contact is None:
                break
            do_preview_dialled(contact, f"shots-campaign-{n}", actor=agent)
            do_dispose_contact(contact, disposition, actor=agent)
    if not SurveyResult.objects.exists():
        answered = (CallRecord.objects.exclude(agent=None).exclude(queue="").select_related("agent")
                    .order_by("-arrived_at")[:40])
        for n, call in enumerate(answered):
            score = (5, 5, 4, 5, 3, 4, 5, 2)[n % 8]
            do_record_survey(call.call_id, agent=call.agent.username if call.agent else "", queue=call.queue,
                             score=score, at=call.ended_at or call.arrived_at)
    busiest = Complaint.objects.filter(events__isnull=False).annotate(n=Count("events")).order_by("-n").first()
    article = Article.objects.filter(status="published").order_by("pk").first()
    care_list = CareList.objects.order_by("-pk").first()
    campaign_row = Campaign.objects.order_by("-pk").first()
    return ServiceTargets(busiest.pk if busiest else None, article.pk if article else None,
                          care_list.pk if care_list else None, campaign_row.pk if campaign_row else None)


def shoot_page(page: Page, base: str, out: Path, name: str, path: str) -> None:
    """One screen as the window shows it (1440×900: a long list is shot down to the window's foot)."""
    started = time.monotonic()
    page.goto(f"{base}{path}", timeout=180_000)
    if time.monotonic() - started > 10:
        print(f"{name}: {path} took {time.monotonic() - started:.0f} s to load", file=sys.stderr)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(out / f"{name}.png"))


def shoot_service_screens(browser: Browser, base: str, out: Path, targets: ServiceTargets) -> None:
    """super1's customer-service screens, the screens menu opened, then manager1's service reports."""
    page = new_page(browser)
    log_in_front(page, base, SUPERVISOR)
    shots = [("service-kb", "/kb/"), ("service-kb-article", f"/kb/{targets.article}" if targets.article else ""),
             ("service-complaints", "/service/complaints/"),
             ("service-complaint-detail",
              f"/service/complaints/{targets.complaint}/" if targets.complaint else ""),
             ("service-notices", "/service/notices/"), ("service-care", "/care/"),
             ("service-care-birthdays", f"/care/lists/{targets.care_list}/" if targets.care_list else ""),
             ("service-campaigns", "/campaigns/"),
             ("service-campaign-results", f"/campaigns/{targets.campaign}/" if targets.campaign else ""),
             ("service-voicemail", "/voicemail/"), ("service-blacklist", "/blacklist/"), ("service-notify", "/notify/")]
    for name, path in shots:
        if not path:
            print(f"{name}: nothing to show", file=sys.stderr)
            continue
        shoot_page(page, base, out, name, path)
    page.goto(f"{base}/service/complaints/")
    page.wait_for_load_state("networkidle")
    page.locator("#screens-menu summary, #screens-menu > button, .screens-menu summary").first.click()
    time.sleep(0.5)
    page.screenshot(path=str(out / "screens-menu.png"))
    page.close()
    page = new_page(browser)
    log_in_front(page, base, MANAGER)
    for name, path in [("reports-complaints", "/reports/complaints/"), ("reports-campaigns", "/reports/campaigns/"),
                       ("reports-surveys", "/reports/surveys/")]:
        shoot_report(page, base, out, name, path)
    page.close()


def shoot_service_desk(browser: Browser, base: str, engine: str, out: Path) -> None:
    """agent1 on a real call from the showcase customer (see shoot_desk): the knowledge-base panel (F6), the
    complaint form (F4), and the customer tools: report the number (F10), edit the customer (Alt+E), find an
    order (Alt+O)."""
    page = new_page(browser)
    log_in_front(page, base, DESK_AGENT)
    open_desk(page, base)
    take_seat(page)
    phone = SeatPhone(engine, ring_seconds=3.0)
    try:
        phone.register()
        page.keyboard.press("F2")
        page.wait_for_selector("#state-badge[data-state=ready][data-phone=online]")
        phone.ring(SHOWCASE_NUMBER)
        page.wait_for_selector("#pop .pop-card #pop-customer", timeout=60_000)
        page.wait_for_selector("#call-bar[data-phase=on_call]", timeout=30_000)
        page.wait_for_load_state("networkidle")
        page.keyboard.press("F6")
        page.keyboard.type("退货")
        page.wait_for_function("() => document.querySelector('#kb-results').dataset.shown === '退货'", timeout=15_000)
        page.keyboard.press("Enter")  # the first article opens in the panel
        page.wait_for_load_state("networkidle")
        time.sleep(0.8)
        page.screenshot(path=str(out / "desk-kb-panel.png"))
        page.keyboard.press("Escape")
        page.keyboard.press("F4")
        page.wait_for_selector("#complaint-summary", timeout=15_000)
        page.keyboard.type("收到的按摩仪外壳有裂纹，要求换货。")
        time.sleep(0.5)
        page.screenshot(path=str(out / "desk-complaint-form.png"))
        page.keyboard.press("Escape")
        for key, name in [("F10", "desk-report-number"), ("Alt+E", "desk-customer-edit"),
                          ("Alt+O", "desk-order-lookup")]:
            page.keyboard.press(key)
            page.wait_for_selector("#customer-dialog[open]", timeout=15_000)
            page.wait_for_load_state("networkidle")
            time.sleep(0.6)
            page.screenshot(path=str(out / f"{name}.png"))
            page.keyboard.press("Escape")
            page.wait_for_selector("#customer-dialog[open]", state="detached", timeout=15_000)
        phone.hang_up()
        page.wait_for_selector("#state-badge[data-state=wrap_up]", timeout=30_000)
        page.wait_for_selector("#state-badge[data-state=ready]", timeout=120_000)
    finally:
        phone.close()
    leave_seat(page)
    page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--engine", default="127.0.0.1:5060", help="the demo engine's SIP address")
    parser.add_argument("--skip-live", action="store_true", help="only the back office and the 403 page")
    parser.add_argument("--finance-only", action="store_true", help="only the finance workbench and the close PDF")
    parser.add_argument("--reports-only", action="store_true", help="only the reports (manager1)")
    parser.add_argument("--service-only", action="store_true",
                        help="only the customer-service screens (super1, agent1 on a call, manager1)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    targets = demo_report_targets()  # the database first: not inside Playwright's event loop
    service = demo_service_data() if args.service_only or not (args.reports_only or args.finance_only) else None
    statement = None if args.reports_only or args.service_only else demo_statement()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        if service is not None and args.service_only:
            shoot_service_screens(browser, args.base, out, service)
            if not args.skip_live:
                shoot_service_desk(browser, args.base, args.engine, out)
            browser.close()
            print(f"screenshots written to {out}/")
            return
        if args.reports_only:
            shoot_reports(browser, args.base, out, targets)
            browser.close()
            print(f"screenshots written to {out}/")
            return
        if args.finance_only:
            shoot_finance(browser, args.base, out, statement)
            browser.close()
            print(f"screenshots written to {out}/")
            return
        if not args.skip_live:  # first: the simulated airing fills the call records, recordings and callbacks
            shoot_desk(browser, args.base, args.engine, out)
            shoot_wallboard(browser, args.base, args.engine, out)
            shoot_phone_offline(browser, args.base, out)
        shoot_forbidden(browser, args.base, out)
        shoot_logistics(browser, args.base, out)
        shoot_finance(browser, args.base, out, statement)
        shoot_reports(browser, args.base, out, targets)
        if service is not None:
            shoot_service_screens(browser, args.base, out, service)
            if not args.skip_live:
                shoot_service_desk(browser, args.base, args.engine, out)
        page = new_page(browser)
        log_in(page, args.base, args.user, args.password)
        shoot_back_office(page, args.base, out)
        browser.close()
    print(f"screenshots written to {out}/")


if __name__ == "__main__":
    main()
