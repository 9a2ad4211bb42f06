"""End to end in headless Chromium: a supervisor opens the outbox while the SMS gateway (the local provider
server) is down, sees the failed message with the gateway's error, filters the failed ones, and sends it
again with one click once the provider is back; then records an opt-out on the second tab. The web server
runs live in this process; the ORM is read only outside the browser block."""

from __future__ import annotations

import pytest

from hotline.notify.actions import queue_notification
from hotline.notify.models import Notification, SmsOptOut
from tests import factories, livetest
from tests.notify.provider import Provider

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_MS = 60_000  # generous: the suite may run beside SIPp and other browsers
PASSWORD = "pw-for-tests"


def test_a_supervisor_sends_a_failed_sms_again_and_records_an_opt_out(provider: Provider) -> None:
    factories.make_user("supervisor", username="banzhang", password=PASSWORD)
    customer = factories.make_customer("王小明", "13800138000")
    provider.stop()
    # autocommit: the after-commit delivery runs at once, and finds the gateway down
    note = queue_notification(customer, "HL1", "王先生，您的订单HL1已发货。", event="order_shipped")
    assert note is not None and Notification.objects.get(pk=note.pk).status == "failed"
    sent = queue_notification(factories.make_customer("李四", "13900000001"), "HL2", "已收到")
    assert sent is not None
    Notification.objects.filter(pk=sent.pk).update(status="delivered")
    livetest.close_live_connections()
    with livetest.serving() as base, livetest.chromium() as browser:
        page = browser.new_page(locale="en-US")
        livetest.log_in(page, base, "banzhang", PASSWORD)
        page.goto(f"{base}/notify/")
        row = page.locator(f'tr[data-id="{note.pk}"]')
        row.wait_for(timeout=WAIT_MS)
        failed_text = row.inner_text()
        page.select_option("#id_status", "failed")
        with page.expect_navigation():
            page.click("#outbox-filter button[type=submit]")
        shown = page.locator("#outbox-table tbody tr").count()
        provider.start()
        with page.expect_navigation():
            row.get_by_role("button", name="Send again").click()
        flash = page.locator(".flash").inner_text()
        page.click("nav.tabs a[data-key='2']")
        page.fill("#id_number", "139 0000 0001")
        with page.expect_navigation():
            page.click("button.primary")
        opt_outs = page.locator("#opt-out-table").inner_text()
    assert "Failed" in failed_text and "unreachable" in failed_text and "13800138000" in failed_text
    assert shown == 1
    assert flash == f"Message {note.pk}: Sent."
    note.refresh_from_db()
    assert (note.status, note.attempts, note.provider_code) == ("sent", 2, "OK")
    assert [a.params for a in provider.accepted] == [
        {"name": "王先生", "number": "", "courier": "", "tracking": ""}]
    assert "13900000001" in opt_outs and "Recorded by staff" in opt_outs
    assert list(SmsOptOut.objects.values_list("number", flat=True)) == ["13900000001"]
