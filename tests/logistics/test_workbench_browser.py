"""End to end in headless Chromium, keyboard only: a logistics clerk signs in and lands on the workbench,
reviews the waiting orders (a: all, r: approve), batches them by courier (2, c), downloads the batch's shipping
forms and pick list (f, p: PDFs with a page per parcel), and scans the parcels out (3, order Enter, waybill
Enter), a repeated waybill refused in red on the way. The web server runs live in this process.

Chromium is never skipped: a missing browser fails the test. The ORM is read only outside the browser block
(Playwright's sync API runs an event loop in this thread)."""

from __future__ import annotations

import re
from contextlib import ExitStack
from typing import Any

import pytest
from django.utils import timezone

from hotline.finance.models import Payment
from hotline.logistics.models import DispatchBatch, PrintLog, Shipment
from hotline.logistics.views.documents import pdf_pages
from hotline.orders.models import Order
from tests import factories, livetest
from tests.logistics.factories import make_courier, make_order

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_MS = 60_000  # generous: the suite runs on two workers beside SIPp, baresip and chromium
PASSWORD = "pw-for-tests"
ORDERS = ["L0000001", "L0000002", "L0000003"]
WAYBILLS = ["SF1000000001", "SF1000000002", "SF1000000003"]


def _world() -> None:
    """A clerk, a courier covering 深圳 with cash on delivery, and three orders waiting for review (prepaid and
    paid, so that no confirmation call holds one back and the review's payment rule lets them through)."""
    factories.make_user("logistics", username="clerk", password=PASSWORD)
    product = factories.make_product("颈椎按摩仪", "398.00", track_stock=True, stock=10, location="A-01-02")
    make_courier("顺丰速运", code="sf")
    for n, number in enumerate(ORDERS):
        customer = factories.make_customer(f"客户{n}", f"1380013800{n}")
        order = make_order(customer, (product, 1), number=number, recipient_phone=f"1380013800{n}",
                           payment_method="transfer")
        Payment.objects.create(order=order, method="transfer", amount=order.total, received_at=timezone.now())


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login/")
    page.keyboard.type("clerk")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/logistics/", timeout=WAIT_MS)


def _review(page: Any) -> str:
    page.keyboard.press("a")
    page.keyboard.press("r")
    page.wait_for_selector("#review-outcome", timeout=WAIT_MS)
    return page.text_content("#review-outcome") or ""


def _download(page: Any, key: str) -> bytes:
    with page.expect_download(timeout=WAIT_MS) as info:
        page.keyboard.press(key)
    path = info.value.path()
    with open(path, "rb") as pdf:
        return pdf.read()


def _batch_and_print(page: Any, base: str) -> dict[str, bytes]:
    page.keyboard.press("2")
    page.wait_for_url(f"{base}/logistics/batches/", timeout=WAIT_MS)
    with page.expect_navigation():
        page.keyboard.press("c")
    page.wait_for_selector("#batch-table tbody tr.current", timeout=WAIT_MS)
    return {"flash": (page.text_content(".flash") or "").encode(), "forms": _download(page, "f"),
            "pick": _download(page, "p")}


def _submit_scan(page: Any) -> str:
    """Enter in the waybill field; wait for the new panel (the old one is marked first) and its focus."""
    page.evaluate("() => { document.getElementById('scan-panel').dataset.old = 'yes'; }")
    page.keyboard.press("Enter")
    page.wait_for_function("() => !document.getElementById('scan-panel').dataset.old"
                           " && document.activeElement.id.startsWith('scan-')", timeout=WAIT_MS)
    return (page.text_content("#scan-result") or "").strip()


def _scan(page: Any, order: str, waybill: str) -> str:
    """Type as a scanner does, each field once it has the focus (a scanner types as fast as it can, but a
    test's keys must not land before the page has moved the focus after the last scan)."""
    page.wait_for_function("() => document.activeElement.id === 'scan-order'", timeout=WAIT_MS)
    page.keyboard.type(order)
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'scan-tracking'", timeout=WAIT_MS)
    page.keyboard.type(waybill)
    return _submit_scan(page)


def _scan_all(page: Any, base: str) -> dict[str, Any]:
    page.keyboard.press("3")
    page.wait_for_url(f"{base}/logistics/scan/", timeout=WAIT_MS)
    page.wait_for_function("() => document.activeElement.id === 'scan-order'", timeout=WAIT_MS)
    lines = [_scan(page, ORDERS[0], WAYBILLS[0])]
    # the same waybill on the next order: refused in red, the waybill field keeps the focus to scan again
    lines.append(_scan(page, ORDERS[1], WAYBILLS[0]))
    refused_focus = page.evaluate("() => document.activeElement.id")
    page.keyboard.type(WAYBILLS[1])
    lines.append(_submit_scan(page))
    return {"lines": lines, "refused_focus": refused_focus,
            "focus": page.evaluate("() => document.activeElement.id"),
            "listed": page.evaluate("() => Array.from(document.querySelectorAll('#shipped-list tbody tr'))"
                                    ".map((row) => row.children[1].textContent)")}


def test_a_clerk_reviews_batches_prints_and_scans_with_the_keyboard_only() -> None:
    _world()
    with ExitStack() as stack:
        base = stack.enter_context(livetest.serving())
        browser = stack.enter_context(livetest.chromium())
        page = browser.new_page(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        csp_refusals: list[str] = []  # the browser reports what the Content-Security-Policy refused in its console
        page.on("console", lambda message: csp_refusals.append(message.text)
                if "Content Security Policy" in message.text else None)
        _sign_in(page, base)
        reviewed = _review(page)
        printed = _batch_and_print(page, base)
        scanned = _scan_all(page, base)

    assert csp_refusals == []
    assert re.sub(r"\s+", " ", reviewed).strip() == "审核通过 3 单，标记问题 0 单。"
    batch = DispatchBatch.objects.get()
    assert printed["flash"].decode().strip() == f"已建 1 个批次：{batch.number}。"
    assert (printed["forms"][:5], pdf_pages(printed["forms"])) == (b"%PDF-", 3)
    assert (printed["pick"][:5], pdf_pages(printed["pick"])) == (b"%PDF-", 1)
    assert list(PrintLog.objects.order_by("id").values_list("kind", "pages")) == [("forms", 3), ("pick", 1)]
    assert scanned["lines"] == [
        "✓ 订单 L0000001 已由顺丰速运发出，运单号 SF1000000001。",
        "✗ 运单号: 运单号 SF1000000001 已用于订单 L0000001。",
        "✓ 订单 L0000002 已由顺丰速运发出，运单号 SF1000000002。",
    ]
    assert (scanned["refused_focus"], scanned["focus"]) == ("scan-tracking", "scan-order")
    assert scanned["listed"] == ["L0000002", "L0000001"]
    assert sorted(Shipment.objects.values_list("order__number", "tracking_number", "status")) == [
        ("L0000001", "SF1000000001", "shipped"), ("L0000002", "SF1000000002", "shipped"),
        ("L0000003", None, "pending")]
    assert sorted(Order.objects.values_list("number", "status")) == [
        ("L0000001", "shipped"), ("L0000002", "shipped"), ("L0000003", "reviewed")]
