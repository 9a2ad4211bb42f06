"""End to end in headless Chromium: a finance clerk signs in and lands on the receivables, reads the total,
goes to the remittances, uploads EMS's statement (two parcels paid exactly, one short by ¥10, one unknown
tracking number), reads the dry run's differences, applies it, and finds the receivables lower by exactly
what the statement paid against delivered parcels. The web server runs live in this process; the jobs run
as they are queued (the tests' immediate backend).

Chromium is never skipped: a missing browser fails the test. The ORM is read only outside the browser block
(Playwright's sync API runs an event loop in this thread)."""

from __future__ import annotations

import datetime
import re
from contextlib import ExitStack
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from hotline.finance.models import OpenItem, Payment, RemittanceStatement
from hotline.logistics.models import Shipment
from hotline.orders.models import Order, Status
from tests import livetest
from tests.finance.world import build_finance_world

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_MS = 60_000  # generous: the suite runs on two workers beside SIPp, baresip and chromium
PASSWORD = "pw-for-tests"  # tests.factories.make_user's
NUMBER = "EMS-GD-20261207-02"
UNKNOWN = "EZ000000000CN"
SHORT_BY = Decimal("10.00")


def _money(amount: Decimal) -> str:
    """An amount as the receivables write it."""
    return f"¥{amount:,.2f}"


def _world() -> dict[str, Any]:
    """Five EMS parcels and two ZTO parcels delivered over the last three weeks; EMS's statement pays the two
    oldest exactly, the third ¥10 short, and a parcel nobody has. Returns what the screens should show."""
    fw = build_finance_world()
    now = timezone.now()
    ems = [fw.delivered(fw.w.ems, (fw.w.massager, 1 + n % 2), at=now - datetime.timedelta(days=20 - 4 * n))
           for n in range(5)]
    zto = [fw.delivered(fw.w.zto, at=now - datetime.timedelta(days=n)) for n in range(2)]
    total = sum((parcel.cod_due for parcel in ems + zto), Decimal("0"))
    paid = [(parcel, parcel.cod_due) for parcel in ems[:2]] + [(ems[2], ems[2].cod_due - SHORT_BY)]
    lines = [(parcel.tracking_number, parcel.order.number, collected) for parcel, collected in paid]
    lines.append((UNKNOWN, "", Decimal("398.00")))
    rows = ["运单号,订单号,代收金额,手续费,实付金额"]
    for tracking, order, collected in lines:
        fee = max((collected * Decimal("1.5") / 100).quantize(Decimal("0.01")), Decimal("5.00"))
        rows.append(f"{tracking},{order},{collected},{fee},{collected - fee}")
    drop = sum((collected for _parcel, collected in paid), Decimal("0"))
    return {"data": ("\r\n".join(rows) + "\r\n").encode("gbk"), "before": total, "after": total - drop,
            "ems": ems, "short": ems[2], "username": fw.finance.username}


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{base}/finance/", timeout=WAIT_MS)  # the receivables, at the workbench's own address


def _receivables_total(page: Any) -> str:
    page.wait_for_selector("#receivables-total", timeout=WAIT_MS)
    return re.sub(r"\s+", " ", page.text_content("#receivables-total") or "").strip()


def _upload(page: Any, base: str, data: bytes) -> dict[str, Any]:
    """Tab 2, the statement uploaded: the dry run's counts and differences."""
    page.keyboard.press("2")
    page.wait_for_url(f"{base}/finance/remittances/", timeout=WAIT_MS)
    page.select_option("#id_courier", label="EMS")
    page.fill("#id_number", NUMBER)
    page.set_input_files("#id_file", files=[{"name": "EMS回款.csv", "mimeType": "text/csv", "buffer": data}])
    with page.expect_navigation():
        page.click("#remittance-upload button[type=submit]")
    page.wait_for_selector("#remittance-differences", timeout=WAIT_MS)
    return {"summary": _text(page, "#remittance-result .job-summary"),
            "counts": _cells(page, "#remittance-counts tr"),
            "differences": _cells(page, "#remittance-differences tbody tr")}


def _apply(page: Any) -> str:
    with page.expect_navigation():
        page.click("#remittance-apply button[value=apply]")
    page.wait_for_function("() => document.querySelector('#job.job-done') !== null", timeout=WAIT_MS)
    return _text(page, "#remittance-result .job-summary")


def _text(page: Any, selector: str) -> str:
    return re.sub(r"\s+", " ", page.text_content(selector) or "").strip()


def _cells(page: Any, selector: str) -> list[list[str]]:
    return page.evaluate(f"() => Array.from(document.querySelectorAll('{selector}'))"
                         ".map((row) => Array.from(row.children).map((cell) => cell.textContent.trim()))")


def test_a_finance_clerk_applies_a_remittance_and_sees_the_receivables_drop() -> None:
    world = _world()
    with ExitStack() as stack:
        base = stack.enter_context(livetest.serving())
        browser = stack.enter_context(livetest.chromium())
        # in English, so that the texts are asserted exactly whatever the translations say (the screenshots are
        # the Chinese screens)
        page = browser.new_page(locale="en-US", extra_http_headers={"Accept-Language": "en"})
        csp_refusals: list[str] = []  # the browser reports what the Content-Security-Policy refused in its console
        page.on("console", lambda message: csp_refusals.append(message.text)
                if "Content Security Policy" in message.text else None)
        _sign_in(page, base, world["username"])
        before = _receivables_total(page)
        dry_run = _upload(page, base, world["data"])
        applied = _apply(page)
        page.keyboard.press("1")
        page.wait_for_url(f"{base}/finance/receivables/", timeout=WAIT_MS)
        after = _receivables_total(page)

    assert csp_refusals == []
    assert (before, after) == (_money(world["before"]), _money(world["after"]))
    short, ems = world["short"], world["ems"]
    assert dry_run["summary"] == f"Statement {NUMBER}, 4 lines: 2 to look at.", dry_run
    assert [row[1:4] for row in dry_run["differences"]] == [
        [short.tracking_number, short.order.number, "Short-paid"], [UNKNOWN, "", "Unknown tracking number"]], dry_run
    assert applied == f"Statement {NUMBER} applied: 3 payments, 2 orders settled, 2 open items.", applied
    statement = RemittanceStatement.objects.get()
    assert (statement.number, statement.courier.code) == (NUMBER, "ems")
    assert Payment.objects.filter(remittance_line__statement=statement).count() == 3
    assert sorted(Order.objects.filter(pk__in=[p.order_id for p in ems[:3]]).values_list("number", "status")) == \
        sorted([(p.order.number, Status.SETTLED) for p in ems[:2]] + [(short.order.number, Status.DELIVERED)])
    assert sorted(OpenItem.objects.values_list("kind", "amount")) == [("short", SHORT_BY),
                                                                       ("unknown", Decimal("-398.00"))]
    assert Shipment.objects.filter(status="delivered").count() == 7
