"""The order panel shows the quote's logistics warnings, in headless Chromium and in Chinese: a COD order for
an address where no courier collects cash gets a visible warning line, which goes when the payment changes.
The page talks to a live server; no engine is needed. Chromium is never skipped."""

from __future__ import annotations

from contextlib import ExitStack
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests import livetest
from tests.logistics.selection_world import make_courier

from .conftest import CUSTOMER_PHONE, PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_MS = 20_000
WARNINGS = "() => Array.from(document.querySelectorAll('#order-warnings li')).map((li) => li.textContent)"


def _wait(page: Any, script: str) -> None:
    try:
        page.wait_for_function(script, timeout=WAIT_MS)
    except PlaywrightTimeout:
        seen = page.evaluate("() => document.querySelector('main').innerText")
        pytest.fail(f"not true after {WAIT_MS} ms: {script}; the page shows:\n{seen}")


def _warnings_seen(world: SimpleNamespace) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    with ExitStack() as stack:
        base = stack.enter_context(livetest.serving())
        browser = stack.enter_context(livetest.chromium())
        page = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768}).new_page()
        livetest.log_in(page, base, world.agent.username, PASSWORD)
        page.goto(f"{base}/desk/")
        _wait(page, "() => window.hotlineDesk && window.hotlineDesk.received.includes('hello')")
        page.keyboard.press("F7")
        page.keyboard.type(CUSTOMER_PHONE)
        page.wait_for_selector("#customer-results li[role=option].selected", timeout=WAIT_MS)
        page.keyboard.press("Enter")
        page.select_option("#delivery-method", "courier")
        page.keyboard.press("F8")
        page.keyboard.type(world.product.short_code)
        page.wait_for_selector("#product-results li[role=option].selected", timeout=WAIT_MS)
        page.keyboard.press("Enter")
        _wait(page, "() => document.querySelectorAll('#order-warnings li').length > 0")
        seen["cod"] = (page.evaluate(WARNINGS), page.is_visible("#order-warnings"))
        page.select_option("#payment-method", "transfer")
        _wait(page, "() => document.querySelector('#order-warnings').hidden")
        seen["prepaid"] = page.evaluate(WARNINGS)
        page.select_option("#payment-method", "cod")
        page.fill("#address-text", "广东省深圳市福田区深南大道1号")
        page.press("#address-text", "Tab")  # leaving the field is a change
        _wait(page, "() => document.querySelector('#address-parsed').textContent.includes('福田区')")
        _wait(page, "() => document.querySelector('#order-warnings').hidden")
        seen["covered"] = page.evaluate(WARNINGS)
    return seen


def test_the_order_panel_warns_when_no_courier_collects_cash_at_the_address(call_world: SimpleNamespace) -> None:
    make_courier("顺丰", "express", "12.00", {"province": "广东省", "city": "深圳市"},
                 {"province": "广东省", "city": "深圳市", "district": "南山区", "cod_allowed": False})
    seen = _warnings_seen(call_world)
    assert seen["cod"] == (["⚠ 没有快递公司在广东深圳南山区为该订单提供货到付款。"], True)
    assert seen["prepaid"] == []
    assert seen["covered"] == []
