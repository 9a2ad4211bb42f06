"""End to end in headless Chromium, in Chinese, during a real SIP call: the agent reports the caller's number
with F10 (and a reason), then edits the caller's record with Alt+E (birthday by the lunar calendar, a new
default address, a member number), sets the member's PIN with Alt+P and sends the status of the caller's order
with Alt+O, Alt+S; keyboard only. Web server, engine, phones and browser run live in this process.

Chromium and SIP are never skipped: a missing browser fails the test.
"""

from __future__ import annotations

import datetime
from contextlib import ExitStack
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext, ngettext
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from hotline.crm.actions import verify_member_pin
from hotline.crm.models import BlacklistEntry, BlacklistReport, Customer
from hotline.notify.models import Notification
from tests import livetest
from tests.logistics.factories import make_order

from .conftest import CUSTOMER_PHONE, DNIS, PASSWORD, SEAT_PASSWORD, SEAT_USER

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_MS = 20_000


def _wait(page: Any, script: str, arg: object = None) -> None:
    try:
        page.wait_for_function(script, arg=arg, timeout=WAIT_MS)
    except PlaywrightTimeout:
        seen = page.evaluate("() => document.body.innerText")
        pytest.fail(f"not true after {WAIT_MS} ms: {script} (arg {arg!r}); the page shows:\n{seen}")


def _on_a_call(stack: ExitStack, world: SimpleNamespace) -> tuple[Any, Any, Any]:
    base = stack.enter_context(livetest.serving())
    engine = stack.enter_context(livetest.engine_running())
    assert engine.engine is not None
    lab = stack.enter_context(livetest.SipLab(engine.engine.sip_address))
    lab.register_agent(SEAT_USER, SEAT_PASSWORD, ring=1.0)
    browser = stack.enter_context(livetest.chromium())
    desk = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768}).new_page()
    livetest.log_in(desk, base, world.agent.username, PASSWORD)
    _wait(desk, "() => window.hotlineDesk && window.hotlineDesk.received.includes('hello')")
    desk.click("#btn-login")
    desk.wait_for_selector("#state-badge[data-state=not_ready]", timeout=WAIT_MS)
    desk.keyboard.press("F2")
    desk.wait_for_selector("#state-badge[data-state=ready]", timeout=WAIT_MS)
    caller = lab.dial(CUSTOMER_PHONE, DNIS)
    _wait(desk, "() => window.hotlineDesk.pops.length > 0")
    desk.wait_for_selector("#call-bar[data-phase=on_call]", timeout=WAIT_MS)
    return desk, lab, caller


def test_during_a_call_f10_reports_the_caller_and_alt_e_edits_the_record(call_world: SimpleNamespace) -> None:
    world = call_world
    order = make_order(world.customer, (world.product, 1), number="HL20261201-000042")
    with ExitStack() as stack:
        desk, lab, caller = _on_a_call(stack, world)
        # F10: the caller's number is filled in from the pop; the agent types a reason and presses Enter
        desk.keyboard.press("F10")
        _wait(desk, "() => document.activeElement && document.activeElement.id === 'report-reason'")
        number = desk.input_value("#report-number")
        title = desk.text_content("#customer-dialog-title")
        desk.keyboard.type("推销骚扰")
        desk.keyboard.press("Enter")
        desk.wait_for_selector("#report-done", timeout=WAIT_MS)
        reported = " ".join((desk.text_content("#report-done") or "").split())
        desk.keyboard.press("Escape")
        _wait(desk, "() => !document.getElementById('customer-dialog').open")
        # Alt+E: the caller's record, the name field focused; a lunar birthday and a new default address
        desk.keyboard.press("Alt+e")
        desk.wait_for_selector("#customer-edit-form", timeout=WAIT_MS)
        _wait(desk, "() => document.activeElement && document.activeElement.name === 'name'")
        name = desk.input_value("#customer-edit-form [name=name]")
        desk.fill("#customer-edit-form [name=birthday]", "1962-03-15")
        desk.fill("#customer-edit-form [name=member_no]", "M0001")
        desk.check("#customer-edit-form [name=birthday_lunar]")
        desk.fill("#customer-edit-form [name=notes]", "只在上午联系")
        desk.fill("#customer-edit-form [name=address]", "浙江省杭州市西湖区文三路100号")
        desk.focus("#customer-edit-form [name=address]")
        desk.keyboard.press("Enter")
        desk.wait_for_selector("#customer-saved", timeout=WAIT_MS)
        saved = desk.text_content("#customer-saved")
        desk.keyboard.press("Escape")
        # Alt+P: the PIN the member says, twice (the member number was given with Alt+E)
        desk.keyboard.press("Alt+p")
        _wait(desk, "() => document.activeElement && document.activeElement.id === 'pin-1'")
        desk.keyboard.type("2468")
        desk.keyboard.press("Tab")
        desk.keyboard.type("2468")
        desk.keyboard.press("Enter")
        desk.wait_for_selector("#pin-done", timeout=WAIT_MS)
        desk.keyboard.press("Escape")
        # Alt+O: the caller's orders by the pop's number; Alt+S sends the first one's status
        desk.keyboard.press("Alt+o")
        desk.wait_for_selector("#order-lookup-list li.selected", timeout=WAIT_MS)
        found = desk.get_attribute("#order-lookup-list li.selected", "data-order-id")
        desk.keyboard.press("Alt+s")
        desk.wait_for_selector("#order-sent-ok", timeout=WAIT_MS)
        lab.hang_up(caller)
    with translation.override("zh-hans"):  # the page's language (its texts as the catalogue has them)
        expected_title, expected_saved = gettext("Report nuisance number"), gettext("Saved.")
        expected_report = ngettext("%(number)s reported (%(n)s report).", "%(number)s reported (%(n)s reports).",
                                   1) % {"number": CUSTOMER_PHONE, "n": 1}
    assert (title, number, name, saved) == (expected_title, CUSTOMER_PHONE, "王小明", expected_saved)
    assert reported == expected_report
    entry = BlacklistEntry.objects.get()
    assert (entry.number, entry.report_count, entry.active) == (CUSTOMER_PHONE, 1, False)
    assert list(BlacklistReport.objects.values_list("reported_by__username", "reason")) == [
        (world.agent.username, "推销骚扰")]
    customer = Customer.objects.get(pk=world.customer.pk)
    assert (customer.birthday, customer.birthday_lunar, customer.notes) == (datetime.date(1962, 3, 15), True,
                                                                            "只在上午联系")
    assert customer.member_no == "M0001" and verify_member_pin("M0001", "2468") == customer
    assert found == str(order.pk)
    sent = Notification.objects.get()
    assert (sent.order_id, sent.recipient, sent.subject) == (order.pk, CUSTOMER_PHONE, "HL20261201-000042")
    default = customer.addresses.get(is_default=True)
    assert (default.province, default.city, default.district, default.detail) == ("浙江", "杭州", "西湖区",
                                                                                 "文三路100号")
