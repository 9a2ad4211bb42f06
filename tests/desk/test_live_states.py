"""The desk through a real call, in headless Chromium and in Chinese: ready with no phone registered shows
"ready, phone offline" with the seat's SIP user; the phone registers and the agent is plainly ready; the call
shows its queue's label; in wrap-up the after-call form is in view without scrolling at 1366×768 and
1440×900 although the pop is longer than its panel; "extend wrap-up" moves the countdown's end by 30 s.

Web server, engine, phones and browser all run live in this process; Chromium and SIP are never skipped.
"""

from __future__ import annotations

import datetime
from contextlib import ExitStack
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from hotline.calls.models import Queue
from hotline.orders.actions import LineInput, OrderInput, do_create_order
from hotline.service.actions import do_open_complaint
from hotline.service.demo import load_demo_scripts
from tests import livetest

from .conftest import CUSTOMER_PHONE, DNIS, PASSWORD, SEAT_PASSWORD, SEAT_USER

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_MS = 20_000
SIZES = [(1366, 768), (1440, 900)]
WRAPUP_SECONDS = 90  # long enough to measure and extend within it
BADGE = "#state-badge"
# Where the after-call form and the caller's panel are, whether the page scrolls, and whether the pop and the form
# together are longer than the panel (so that stacking them would push the form out of view).
GEOMETRY = """() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const pop = document.querySelector('#pop');
  const panel = document.querySelector('.pop-panel');
  return {form: box(document.querySelector('#note-form')), panel: box(panel),
          window: [0, 0, window.innerWidth, window.innerHeight],
          page_scrolls: document.scrollingElement.scrollHeight > window.innerHeight,
          too_long: pop.scrollHeight + document.querySelector('#note-form').offsetHeight > panel.clientHeight,
          notes_visible: !!document.querySelector('#note-form textarea').offsetParent};
}"""


def _wait(page: Any, script: str, arg: object = None) -> None:
    try:
        page.wait_for_function(script, arg=arg, timeout=WAIT_MS)
    except PlaywrightTimeout:
        seen = page.evaluate("() => [document.querySelector('#statebar').innerText, "
                             "JSON.stringify(window.hotlineDesk.received)]")
        pytest.fail(f"not true after {WAIT_MS} ms: {script} (arg {arg!r}); the desk shows: {seen}")


def _inside(inner: list[float], outer: list[float]) -> bool:
    return inner[0] >= outer[0] and inner[1] >= outer[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _returning_customer_with_a_long_pop(world: SimpleNamespace) -> None:
    """Five past orders, two open complaints and the demo's scripts: the pop is longer than its panel on a
    laptop screen."""
    for _ in range(5):
        do_create_order(OrderInput(customer_id=world.customer.pk, address_id=world.address.pk,
                                   lines=[LineInput(world.product.pk, 1), LineInput(world.other.pk, 2)]),
                        actor=world.supervisor)
    for summary in ("快递员态度不好，送货前没有打电话，包裹放在门口被雨淋湿了", "按摩仪用了三天就不能充电，要求换货"):
        do_open_complaint(world.customer, summary, actor=world.supervisor)
    load_demo_scripts()
    Queue.objects.filter(pk=world.queue.pk).update(wrapup_seconds=WRAPUP_SECONDS, label="订购")


def _ready_then_phone(desk: Any, lab: livetest.SipLab) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    desk.click("#btn-login")
    desk.wait_for_selector(f"{BADGE}[data-state=not_ready]", timeout=WAIT_MS)
    desk.keyboard.press("F2")
    desk.wait_for_selector(f"{BADGE}[data-state=ready][data-phone=offline]", timeout=WAIT_MS)
    seen["offline"] = (desk.text_content(BADGE), desk.text_content("#phone-hint"), desk.is_visible("#phone-hint"))
    lab.register_agent(SEAT_USER, SEAT_PASSWORD, ring=1.0)
    desk.wait_for_selector(f"{BADGE}[data-state=ready][data-phone=online]", timeout=WAIT_MS)
    seen["online"] = (desk.text_content(BADGE), desk.is_visible("#phone-hint"))
    return seen


def _wrap_up_screen(desk: Any) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for width, height in SIZES:
        desk.set_viewport_size({"width": width, "height": height})
        seen[(width, height)] = desk.evaluate(GEOMETRY)
    _wait(desk, "() => document.querySelector('#wrapup-countdown').dataset.until")
    before = desk.get_attribute("#wrapup-countdown", "data-until")
    seen["countdown"] = desk.text_content("#wrapup-countdown")
    seen["extend_label"] = desk.text_content("#btn-extend")
    desk.keyboard.press("F9")
    _wait(desk, "(before) => document.querySelector('#wrapup-countdown').dataset.until !== before", before)
    seen["until"] = (before, desk.get_attribute("#wrapup-countdown", "data-until"))
    seen["banner"] = desk.text_content("#desk-error")
    return seen


def live_desk(world: SimpleNamespace) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    with ExitStack() as stack:
        base = stack.enter_context(livetest.serving())
        engine = stack.enter_context(livetest.engine_running())
        assert engine.engine is not None
        lab = stack.enter_context(livetest.SipLab(engine.engine.sip_address))
        browser = stack.enter_context(livetest.chromium())
        desk = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768}).new_page()
        livetest.log_in(desk, base, world.agent.username, PASSWORD)
        _wait(desk, "() => window.hotlineDesk && window.hotlineDesk.received.includes('hello')")
        seen.update(_ready_then_phone(desk, lab))
        caller = lab.dial(CUSTOMER_PHONE, DNIS)
        _wait(desk, "() => window.hotlineDesk.pops.length > 0")
        desk.wait_for_selector("#call-bar[data-phase=on_call]", timeout=WAIT_MS)
        seen["phase"] = desk.text_content("#call-phase")
        seen["transfer"] = desk.eval_on_selector_all("#transfer-target option[value^=queue]",
                                                     "(options) => options.map((o) => o.textContent)")
        lab.hang_up(caller)
        desk.wait_for_selector(f"{BADGE}[data-state=wrap_up]", timeout=WAIT_MS)
        desk.wait_for_selector("#note-form:not([hidden])", timeout=WAIT_MS)
        seen.update(_wrap_up_screen(desk))
    return seen


def test_phone_offline_queue_label_wrap_up_form_in_view_and_extended(call_world: SimpleNamespace) -> None:
    world = call_world
    _returning_customer_with_a_long_pop(world)
    seen = live_desk(world)
    # ready without a phone: said so, with the SIP user to register; then plainly ready
    assert seen["offline"] == ("就绪·话机离线", "请注册座席话机 8001（SIP 用户名），注册后才会分配来电。", True)
    assert seen["online"] == ("就绪", False)
    # the queue by its label
    assert (seen["phase"], seen["transfer"]) == ("通话中 · 订购", ["队列 订购"])
    # the after-call form in view while wrap-up runs, although the pop and the form are longer than the panel
    for size in SIZES:
        geometry = seen[size]
        assert (geometry["too_long"], geometry["page_scrolls"], geometry["notes_visible"]) == (
            True, False, True), (size, geometry)
        assert _inside(geometry["form"], geometry["window"]), (size, geometry)
        assert _inside(geometry["form"], geometry["panel"]), (size, geometry)
    # the countdown uses the engine's end, which one press of F9 moves 30 s later
    assert seen["countdown"].startswith("剩余 ") and seen["countdown"].endswith(" 秒")
    assert 0 < int(seen["countdown"].split()[1]) <= WRAPUP_SECONDS
    assert seen["extend_label"].split() == ["延长话后处理", "+30", "秒", "F9"]
    before, after = (datetime.datetime.fromisoformat(value) for value in seen["until"])
    assert round((after - before).total_seconds()) == 30
    assert seen["banner"] == ""
