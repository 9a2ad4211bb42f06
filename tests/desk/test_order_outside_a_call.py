"""The desk without a call, in headless Chromium and in Chinese: an order for a customer found by phone number,
an order for a new customer, field errors that name and focus their field (an empty name, a quantity of 0),
and click-to-dial of a number that is not one. The page talks to a live server; no engine is needed.

Chromium is never skipped: a missing browser fails the test.
"""

from __future__ import annotations

from contextlib import ExitStack
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from hotline.crm.models import Customer
from hotline.orders.models import Order
from tests import livetest

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_MS = 20_000
NEW_PHONE = "13912345678"
ERRORS = "() => Array.from(document.querySelectorAll('#order-errors li')).map((li) => li.textContent)"
FOCUSED = "() => document.activeElement && document.activeElement.id"


def _wait(page: Any, script: str, arg: object = None) -> None:
    try:
        page.wait_for_function(script, arg=arg, timeout=WAIT_MS)
    except PlaywrightTimeout:
        seen = page.evaluate("() => document.querySelector('main').innerText")
        pytest.fail(f"not true after {WAIT_MS} ms: {script} (arg {arg!r}); the page shows:\n{seen}")


def _open_desk(browser: Any, base: str, username: str) -> Any:
    page = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768}).new_page()
    livetest.log_in(page, base, username, PASSWORD)
    page.goto(f"{base}/desk/")
    _wait(page, "() => window.hotlineDesk && window.hotlineDesk.received.includes('hello')")
    return page


def _choose_customer(page: Any, term: str, wanted: str) -> list[str]:
    """Type `term` in the customer search (F7) and Enter on the option that shows `wanted`; the options seen."""
    page.keyboard.press("F7")
    page.keyboard.type(term)
    _wait(page, "(text) => Array.from(document.querySelectorAll('#customer-results li[role=option]'))"
                ".some((li) => li.textContent.includes(text))", wanted)
    options = page.eval_on_selector_all("#customer-results li", "(items) => items.map((li) => li.textContent)")
    while wanted not in (page.text_content("#customer-results li.selected") or ""):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    return list(options)


def _add_product(page: Any, code: str) -> None:
    page.keyboard.press("F8")
    page.keyboard.type(code)
    page.wait_for_selector("#product-results li[role=option].selected", timeout=WAIT_MS)
    page.keyboard.press("Enter")


def _add_product_typing_fast(page: Any, start: str, rest: str) -> None:
    """A fast typist: the results for `start` are on the list when the rest and Enter follow at once. Enter
    must add what the whole text finds, not the first result of the shorter text still on the list."""
    page.keyboard.press("F8")
    page.keyboard.type(start)
    page.wait_for_selector("#product-results li[role=option].selected", timeout=WAIT_MS)
    page.keyboard.type(rest)
    page.keyboard.press("Enter")
    _wait(page, "() => document.querySelectorAll('#order-lines tbody tr').length === 1")


def _place(page: Any) -> str:
    page.click("#btn-submit")
    _wait(page, "() => !document.querySelector('#order-placed').hidden"
                " || document.querySelectorAll('#order-errors li').length > 0")
    assert page.evaluate(ERRORS) == []
    return page.text_content("#order-number") or ""


def _submit_refused(page: Any) -> dict[str, Any]:
    with page.expect_response(lambda response: response.url.endswith("/desk/orders"), timeout=WAIT_MS) as answer:
        page.click("#btn-submit")
    assert answer.value.status == 422
    _wait(page, "() => !document.querySelector('#btn-submit').disabled")  # the answer is shown
    return {"errors": page.evaluate(ERRORS), "focused": page.evaluate(FOCUSED),
            "invalid": page.eval_on_selector_all("[aria-invalid=true]",
                                                 "(els) => els.map((el) => el.id || el.className)")}


def outside_a_call(world: SimpleNamespace) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    with ExitStack() as stack:
        base = stack.enter_context(livetest.serving())
        browser = stack.enter_context(livetest.chromium())
        page = _open_desk(browser, base, world.agent.username)
        seen["chosen_at_start"] = page.text_content("#order-customer")
        # nothing chosen: the submit says so on the customer search, which takes the focus, and on the product
        seen["nothing_chosen"] = _submit_refused(page)
        # a returning customer, found by a phone number typed with spaces
        seen["options"] = _choose_customer(page, "138 0013 8000", "王小明")
        seen["chosen"] = page.text_content("#order-customer")
        seen["focus_after_choice"] = page.evaluate(FOCUSED)
        _add_product(page, "801")
        seen["first_order"] = _place(page)
        # a new customer: the number searched for becomes theirs
        page.click("#btn-new-order")
        seen["new_options"] = _choose_customer(page, NEW_PHONE, "新客户")
        seen["new_phone"] = page.input_value("#new-phone")
        seen["focus_on_new"] = page.evaluate(FOCUSED)
        _add_product_typing_fast(page, "80", "2")  # 801 and 802 on the list for "80"; "802" + Enter means 802
        page.fill("#order-lines input.qty", "0")
        page.press("#order-lines input.qty", "Tab")  # leaving the field is a change
        _wait(page, "() => document.querySelector('#order-lines input.qty').getAttribute('aria-invalid') === 'true'")
        seen["quote_errors"] = page.evaluate(ERRORS)
        seen["refused"] = _submit_refused(page)
        page.fill("#address-text", "浙江杭州西湖区文三路1号")
        page.fill("#new-name", "李阿姨")
        page.select_option("#new-gender", "f")
        page.fill("#order-lines input.qty", "2")
        page.press("#order-lines input.qty", "Tab")  # leaving the field is a change
        _wait(page, "() => document.querySelectorAll('#order-errors li').length === 0")
        seen["second_order"] = _place(page)
        seen["chosen_after_order"] = page.text_content("#order-customer")
        # click-to-dial of letters
        page.fill("#dial-number", "abc")
        page.press("#dial-number", "Enter")
        page.wait_for_selector("#dial-error:not([hidden])", timeout=WAIT_MS)
        seen["dial"] = (page.text_content("#dial-error"), page.evaluate(FOCUSED),
                        page.get_attribute("#dial-number", "aria-invalid"), page.text_content("#desk-error"))
    return seen


def test_an_order_outside_a_call_for_a_found_and_for_a_new_customer_with_field_errors(
        call_world: SimpleNamespace) -> None:
    world = call_world
    seen = outside_a_call(world)
    assert seen["chosen_at_start"] == "未选择客户"
    # every error at once, the first field focused
    assert seen["nothing_chosen"] == {"errors": ["请选择客户或录入新客户。", "订单至少需要一件商品。"],
                                      "focused": "customer-q", "invalid": ["customer-q", "product-q"]}
    assert seen["options"] == ["王小明  王先生  13800138000  北京  普通", "+ 新客户 13800138000"]
    assert (seen["chosen"], seen["focus_after_choice"]) == ("王小明 13800138000", "product-q")
    assert seen["new_options"] == ["没有找到客户", f"+ 新客户 {NEW_PHONE}"]
    assert (seen["new_phone"], seen["focus_on_new"]) == (NEW_PHONE, "new-name")
    assert seen["quote_errors"] == ["第 1 行：数量必须大于 0"]
    assert seen["refused"] == {"errors": ["姓名不能为空", "第 1 行：数量必须大于 0"], "focused": "new-name",
                               "invalid": ["new-name", "qty"]}
    assert seen["chosen_after_order"] == f"李阿姨 {NEW_PHONE}"
    assert seen["dial"] == ("“abc”不是电话号码：只能使用数字。", "dial-number", "true", "")
    # the orders: outside a call (no call, no airing), through the same action as on a call
    first, second = Order.objects.order_by("id")
    newcomer = Customer.objects.get(name="李阿姨")
    assert [(o.number, o.customer_id, o.call_id, o.airing_id, o.agent_id) for o in (first, second)] == [
        (seen["first_order"], world.customer.pk, "", None, world.agent.pk),
        (seen["second_order"], newcomer.pk, "", None, world.agent.pk)]
    assert [(line.product_id, line.quantity) for line in first.lines.all()] == [(world.product.pk, 1)]
    assert [(line.product_id, line.quantity) for line in second.lines.all()] == [(world.other.pk, 2)]
    assert (newcomer.gender, newcomer.primary_phone()) == ("f", NEW_PHONE)
