"""SMS through the provider's HTTP API, against a local provider server that checks signatures: success
with the event's template, the provider's result codes (invalid number, its own flow control, bad
signature), timeouts, a gateway that is down and comes back (nothing lost), retries with back-off."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from hotline.notify.actions import deliver, due_ids, queue_notification, retry_failed
from hotline.notify.models import Notification
from hotline.notify.sms import GatewayError, SmsGateway, string_to_sign
from hotline.orders.actions import LineInput, OrderInput, do_create_order
from tests.notify.provider import KEY_ID, SIGN_NAME, Provider
from tests.notify.sms_world import customer_with

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 7, 2, 0, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)


def row(note: Notification) -> tuple[Any, ...]:
    note.refresh_from_db()
    return (note.status, note.attempts, note.provider_code, note.provider_id, note.next_attempt_at)


def test_the_string_to_sign_is_the_sorted_encoded_parameters() -> None:
    assert string_to_sign("POST", {"b": "x y", "A": "签", "c": "a*~"}) == (
        "POST&%2F&A%3D%25E7%25AD%25BE%26b%3Dx%2520y%26c%3Da%252A~")


def test_a_request_signed_with_another_secret_is_refused_by_the_provider(provider: Provider) -> None:
    gateway = SmsGateway(provider.url, KEY_ID, "not-the-secret", SIGN_NAME, timeout=1)
    with pytest.raises(GatewayError) as caught:
        gateway.send("13800138000", "SMS_900", {"content": "hi"})
    assert (caught.value.code, caught.value.permanent, caught.value.unreachable) == (
        "SignatureDoesNotMatch", False, False)
    assert (provider.accepted, provider.refused) == ([], [("SendSms", "SignatureDoesNotMatch")])


def test_an_order_sms_goes_out_with_its_template_and_variables(provider: Provider, world: Any, agent: Any,
                                                               django_capture_on_commit_callbacks: Any) -> None:
    data = OrderInput(customer_id=world.customer.pk, lines=[LineInput(world.product.pk, 1)],
                      address_id=world.customer.addresses.get().pk)
    with django_capture_on_commit_callbacks(execute=True):
        order = do_create_order(data, actor=agent)[0]
    note = Notification.objects.get(order=order)
    assert (note.event, note.status, note.attempts, note.provider_code, note.provider_id, note.error) == (
        "order_placed", "sent", 1, "OK", "000001^0", "")
    [sent] = provider.accepted
    assert (sent.phone, sent.sign_name, sent.template_code, sent.out_id) == (
        "13800138000", "热线优选", "SMS_100", str(note.pk))
    assert sent.params == {"name": world.customer.salutation, "number": order.number, "total": "398.00"}


def test_events_pick_their_templates_and_params_fill_them(provider: Provider, world: Any) -> None:
    shipped = queue_notification(world.customer, "s", "寄出了", event="out_for_delivery",
                                 params={"courier": "顺丰", "tracking": "SF1"})
    greeting = queue_notification(world.customer, "s", "生日快乐", event="care_greeting")
    plain = queue_notification(world.customer, "s", "您好")
    assert shipped and greeting and plain
    for note in (shipped, greeting, plain):
        assert deliver(note.pk, now=NOW) == "sent"
    assert [(a.template_code, a.params) for a in provider.accepted] == [
        ("SMS_300", {"name": world.customer.salutation, "number": "", "courier": "顺丰", "tracking": "SF1"}),
        ("SMS_500", {"name": world.customer.salutation}),
        ("SMS_900", {"content": "您好"})]


def test_an_unknown_event_is_refused_when_queued(world: Any) -> None:
    with pytest.raises(ValueError, match="unknown notification event 'birthday'"):
        queue_notification(world.customer, "s", "b", event="birthday")
    assert Notification.objects.count() == 0


def test_an_invalid_number_is_refused_for_good_and_never_retried(provider: Provider) -> None:
    note = queue_notification(customer_with("1380013800"), "s", "b")
    assert note is not None
    assert deliver(note.pk, now=NOW) == "rejected"
    assert row(note) == ("rejected", 1, "isv.MOBILE_NUMBER_ILLEGAL", "", None)
    assert note.error == "isv.MOBILE_NUMBER_ILLEGAL: 非法手机号"
    assert due_ids(NOW + datetime.timedelta(days=1), 6) == []
    assert provider.refused == [("1380013800", "isv.MOBILE_NUMBER_ILLEGAL")]


def test_the_providers_flow_control_is_retried_with_back_off(provider: Provider, world: Any) -> None:
    provider.per_number_limit = 1
    first = queue_notification(world.customer, "s", "one")
    second = queue_notification(world.customer, "s", "two")
    assert first and second
    assert deliver(first.pk, now=NOW) == "sent"
    assert deliver(second.pk, now=NOW) == "failed"
    assert row(second) == ("failed", 1, "isv.BUSINESS_LIMIT_CONTROL", "", NOW + 2 * MINUTE)
    # the next try waits for its back-off, then doubles it
    assert retry_failed(now=NOW + MINUTE) == 0
    assert retry_failed(now=NOW + 2 * MINUTE) == 1
    assert row(second) == ("failed", 2, "isv.BUSINESS_LIMIT_CONTROL", "", NOW + 6 * MINUTE)
    provider.per_number_limit = 100
    assert retry_failed(now=NOW + 6 * MINUTE) == 1
    assert row(second) == ("sent", 3, "OK", "000002^0", None)
    assert [a.params["content"] for a in provider.accepted] == ["one", "two"]


def test_a_wrong_secret_fails_until_it_is_fixed(provider: Provider, world: Any, settings: Any) -> None:
    settings.HOTLINE_SMS_ACCESS_KEY_SECRET = "typo"
    note = queue_notification(world.customer, "s", "b")
    assert note is not None
    assert deliver(note.pk, now=NOW) == "failed"
    assert row(note)[:3] == ("failed", 1, "SignatureDoesNotMatch")
    settings.HOTLINE_SMS_ACCESS_KEY_SECRET = "test-secret"
    assert retry_failed(now=NOW + 2 * MINUTE) == 1
    assert row(note)[:4] == ("sent", 2, "OK", "000001^0")


def test_a_timeout_is_retried_and_sent_once_the_provider_answers(provider: Provider, world: Any) -> None:
    provider.mode, provider.delay = "slow", 3.0
    note = queue_notification(world.customer, "s", "b")
    assert note is not None
    assert deliver(note.pk, now=NOW) == "failed"
    assert row(note) == ("failed", 1, "timeout", "", NOW + 2 * MINUTE)
    provider.mode = "ok"
    assert retry_failed(now=NOW + 2 * MINUTE) == 1
    assert row(note) == ("sent", 2, "OK", "000001^0", None)
    assert len(provider.accepted) == 1


def test_nothing_is_lost_while_the_gateway_is_down(provider: Provider) -> None:
    customers = [customer_with(f"1390000000{i}", name=f"客户{i}") for i in range(3)]
    provider.stop()
    notes = [queue_notification(c, "s", f"message {i}") for i, c in enumerate(customers)]
    assert all(note is not None for note in notes)
    assert [deliver(n.pk, now=NOW) for n in notes if n] == ["failed", "failed", "failed"]
    assert {row(n)[2] for n in notes if n} == {"unreachable"}
    # While it is down, a retry tick stops at the first message that cannot reach it
    assert retry_failed(now=NOW + 2 * MINUTE) == 1
    # When it is back on the same address, every message goes, once
    provider.start()
    assert retry_failed(now=NOW + 10 * MINUTE) == 3
    assert [row(n)[0] for n in notes if n] == ["sent", "sent", "sent"]
    assert sorted(a.params["content"] for a in provider.accepted) == ["message 0", "message 1", "message 2"]
    assert retry_failed(now=NOW + 60 * MINUTE) == 0


def test_retries_stop_after_the_configured_attempts(provider: Provider, world: Any, settings: Any) -> None:
    settings.HOTLINE_NOTIFY_MAX_ATTEMPTS = 2
    provider.stop()
    note = queue_notification(world.customer, "s", "b")
    assert note is not None
    assert deliver(note.pk, now=NOW) == "failed"
    assert retry_failed(now=NOW + 2 * MINUTE) == 1
    assert row(note) == ("failed", 2, "unreachable", "", None)
    assert retry_failed(now=NOW + datetime.timedelta(days=1)) == 0
