"""Customer notifications: the channel chosen per customer, delivery after commit by the configured
backend, failures kept for a retry without undoing the order."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail

from hotline.crm.models import Customer
from hotline.notify.actions import deliver, queue_notification, retry_failed
from hotline.notify.backends import OutboxBackend, backend_for
from hotline.notify.models import Notification, NotificationStatus
from hotline.orders.actions import LineInput, OrderInput, do_create_order, do_transition_order
from hotline.orders.models import Order

ORDERED = "王先生, your order {number} for ¥398.00 has been received. We will ship it soon."


class FailingBackend:
    """A gateway that is down."""

    calls = 0

    def send(self, notification: Notification) -> str:
        FailingBackend.calls += 1
        raise ConnectionError("SMS gateway timed out")


@pytest.fixture(autouse=True)
def fresh_backends() -> Iterator[None]:
    backend_for.cache_clear()
    yield
    backend_for.cache_clear()


def place(world: Any, actor: Any) -> Order:
    data = OrderInput(customer_id=world.customer.pk, lines=[LineInput(world.product.pk, 1)],
                      address_id=world.customer.addresses.get().pk)
    return do_create_order(data, actor=actor)[0]


def set_customer(customer: Customer, **fields: Any) -> Customer:
    Customer.objects.filter(pk=customer.pk).update(**fields)
    return Customer.objects.get(pk=customer.pk)


@pytest.mark.parametrize(("fields", "channel", "recipient"), [
    ({}, "sms", "13800138000"),
    ({"notify_channel": "email", "email": "wang@example.com"}, "email", "wang@example.com"),
    ({"notify_channel": "email", "email": ""}, "sms", "13800138000"),
    ({"notify_channel": "voice"}, "voice", "13800138000"),
    ({"notify_channel": "fax", "fax": "020-87654321"}, "fax", "020-87654321"),
    ({"notify_channel": "fax", "fax": ""}, "sms", "13800138000"),
])
def test_the_channel_follows_the_customer(world: Any, agent: Any, fields: dict[str, Any], channel: str,
                                          recipient: str) -> None:
    set_customer(world.customer, **fields)
    order = place(world, agent)
    note = Notification.objects.get(order=order)
    assert (note.channel, note.recipient, note.subject, note.body, note.status) == (
        channel, recipient, order.number, ORDERED.format(number=order.number), "queued")


def test_a_customer_who_wants_no_notifications_gets_none(world: Any, agent: Any) -> None:
    set_customer(world.customer, notify_channel="none", email="wang@example.com")
    order = place(world, agent)
    assert Notification.objects.count() == 0
    assert Order.objects.filter(pk=order.pk).exists()


def test_a_customer_without_phone_gets_no_sms(world: Any) -> None:
    customer = Customer.objects.create(name="无号码")
    assert queue_notification(customer, subject="s", body="b") is None
    assert Notification.objects.count() == 0


def test_the_primary_phone_is_used(world: Any) -> None:
    customer = world.customer
    customer.phones.update(is_primary=False)
    customer.phones.create(number="13912345678", kind="mobile", is_primary=True)
    note = queue_notification(customer, subject="s", body="b")
    assert note is not None and note.recipient == "13912345678"


def test_delivery_happens_after_commit_through_the_outbox(world: Any, agent: Any,
                                                          django_capture_on_commit_callbacks: Any) -> None:
    # Given an order placed in a transaction that has not committed yet
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order = place(world, agent)
        note = Notification.objects.get(order=order)
        # Then the message waits in the outbox, untried
        assert (note.status, note.attempts, note.sent_at) == ("queued", 0, None)
    # When the transaction commits
    for callback in callbacks:
        callback()
    # Then the default backend has kept it in the outbox, as delivered there
    note.refresh_from_db()
    assert (note.status, note.attempts, note.error) == (NotificationStatus.OUTBOX, 1, "")
    assert note.sent_at is not None
    assert isinstance(backend_for("sms"), OutboxBackend)


def test_email_goes_out_by_smtp_when_configured(world: Any, agent: Any, settings: Any,
                                                django_capture_on_commit_callbacks: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "orders@hotline.example"
    settings.HOTLINE_NOTIFY_BACKENDS = {**settings.HOTLINE_NOTIFY_BACKENDS,
                                        "email": "hotline.notify.backends.SmtpBackend"}
    set_customer(world.customer, notify_channel="email", email="wang@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        order = place(world, agent)
    note = Notification.objects.get(order=order)
    assert (note.status, note.attempts) == (NotificationStatus.SENT, 1)
    assert [(m.subject, m.body, m.from_email, m.to) for m in mail.outbox] == [
        (order.number, ORDERED.format(number=order.number), "orders@hotline.example", ["wang@example.com"])]


def test_sms_stays_in_the_outbox_when_only_email_is_smtp(world: Any, agent: Any, settings: Any,
                                                         django_capture_on_commit_callbacks: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.HOTLINE_NOTIFY_BACKENDS = {**settings.HOTLINE_NOTIFY_BACKENDS,
                                        "email": "hotline.notify.backends.SmtpBackend"}
    with django_capture_on_commit_callbacks(execute=True):
        order = place(world, agent)
    assert Notification.objects.get(order=order).status == NotificationStatus.OUTBOX
    assert mail.outbox == []


def test_a_failing_backend_marks_the_message_failed_and_keeps_the_order(
        world: Any, users: dict[str, Any], settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.HOTLINE_NOTIFY_BACKENDS = {**settings.HOTLINE_NOTIFY_BACKENDS,
                                        "sms": "tests.notify.test_notifications.FailingBackend"}
    # When an order is placed and reviewed while the SMS gateway is down
    with django_capture_on_commit_callbacks(execute=True):
        order = place(world, users["agent"])
    with django_capture_on_commit_callbacks(execute=True):
        do_transition_order(order, "reviewed", actor=users["logistics"])
    # Then the order and its change stand; the messages are failed with the gateway's error
    assert Order.objects.get(pk=order.pk).status == "reviewed"
    assert list(Notification.objects.filter(order=order).order_by("pk").values_list(
        "status", "attempts", "error", "sent_at")) == [
        ("failed", 1, "SMS gateway timed out", None), ("failed", 1, "SMS gateway timed out", None)]


def test_retry_failed_sends_again_once_the_gateway_is_back(
        world: Any, agent: Any, settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.HOTLINE_NOTIFY_BACKENDS = {**settings.HOTLINE_NOTIFY_BACKENDS,
                                        "sms": "tests.notify.test_notifications.FailingBackend"}
    settings.HOTLINE_NOTIFY_RETRY_MINUTES = 2
    with django_capture_on_commit_callbacks(execute=True):
        order = place(world, agent)
    note = Notification.objects.get(order=order)
    assert note.next_attempt_at is not None
    failed_at = note.next_attempt_at - datetime.timedelta(minutes=2)
    # not before its back-off is over
    assert retry_failed(now=failed_at + datetime.timedelta(minutes=1)) == 0
    # a second failure counts a second attempt and doubles the wait
    assert retry_failed(now=failed_at + datetime.timedelta(minutes=2)) == 1
    note.refresh_from_db()
    assert (note.status, note.attempts, note.next_attempt_at) == (
        "failed", 2, failed_at + datetime.timedelta(minutes=6))
    # When the gateway is back
    settings.HOTLINE_NOTIFY_BACKENDS = {**settings.HOTLINE_NOTIFY_BACKENDS,
                                        "sms": "hotline.notify.backends.OutboxBackend"}
    backend_for.cache_clear()
    later = failed_at + datetime.timedelta(minutes=6)
    assert retry_failed(now=later) == 1
    note.refresh_from_db()
    assert (note.status, note.attempts, note.error, note.sent_at, note.next_attempt_at) == (
        "outbox", 3, "", later, None)
    # and nothing is left to retry
    assert retry_failed(now=later + datetime.timedelta(days=1)) == 0


def test_retry_gives_up_after_max_attempts(world: Any, agent: Any) -> None:
    note = queue_notification(world.customer, subject="s", body="b")
    assert note is not None
    Notification.objects.filter(pk=note.pk).update(status="failed", attempts=5)
    assert retry_failed(max_attempts=5) == 0
    assert retry_failed(max_attempts=6) == 1
    assert Notification.objects.get(pk=note.pk).attempts == 6


def test_an_unknown_backend_path_is_a_failure_not_a_crash(world: Any, agent: Any, settings: Any) -> None:
    settings.HOTLINE_NOTIFY_BACKENDS = {**settings.HOTLINE_NOTIFY_BACKENDS, "sms": "no.such.Backend"}
    note = queue_notification(world.customer, subject="s", body="b")
    assert note is not None
    assert deliver(note.pk) == "failed"
    assert Notification.objects.get(pk=note.pk).error.startswith("No module named 'no'")


def test_a_delivered_message_is_not_sent_twice(world: Any, agent: Any) -> None:
    note = queue_notification(world.customer, subject="s", body="b")
    assert note is not None
    assert deliver(note.pk) == "outbox"
    assert deliver(note.pk) == "outbox"
    assert Notification.objects.get(pk=note.pk).attempts == 1


def test_a_rolled_back_order_sends_nothing(world: Any, agent: Any, django_capture_on_commit_callbacks: Any) -> None:
    from django.core.exceptions import ValidationError

    data = OrderInput(customer_id=world.customer.pk, lines=[LineInput(world.product.pk, 0)],
                      address_id=world.customer.addresses.get().pk)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ValidationError):
        do_create_order(data, actor=agent)
    assert (callbacks, Notification.objects.count()) == ([], 0)
