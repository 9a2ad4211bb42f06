"""Fax through an e-mail-to-fax gateway: the order confirmation or invoice as a PDF attached to an e-mail to
the configured address, sent with Django's real SMTP backend to a local SMTP server (aiosmtpd on
127.0.0.1); a mail server that is down fails the message, which goes when it is back."""

from __future__ import annotations

import datetime
import email
import email.policy
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from hotline.crm.models import Customer
from hotline.notify.actions import deliver, queue_notification, retry_failed
from hotline.notify.backends import backend_for
from hotline.notify.fax import render_document
from hotline.notify.models import Notification
from hotline.orders.actions import LineInput, OrderInput, do_create_order
from hotline.orders.models import Order

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 7, 2, 0, tzinfo=datetime.UTC)


class Inbox:
    """An aiosmtpd handler keeping (sender, recipients, raw message)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # the name aiosmtpd calls
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MailServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings: Any) -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    settings.DEFAULT_FROM_EMAIL = "orders@hotline.test"
    settings.HOTLINE_FAX_GATEWAY = "{number}@fax.example.test"
    settings.HOTLINE_NOTIFY_BACKENDS = {**settings.HOTLINE_NOTIFY_BACKENDS,
                                        "fax": "hotline.notify.backends.FaxMailBackend"}
    backend_for.cache_clear()
    try:
        yield server
    finally:
        server.stop()
        backend_for.cache_clear()


def faxed(world: Any, agent: Any, capture: Any) -> Order:
    Customer.objects.filter(pk=world.customer.pk).update(notify_channel="fax", fax="020-87654321")
    data = OrderInput(customer_id=world.customer.pk, lines=[LineInput(world.product.pk, 2)],
                      address_id=world.customer.addresses.get().pk)
    with capture(execute=True):
        return do_create_order(data, actor=agent)[0]


def attachments(raw: bytes) -> dict[str, bytes]:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return {str(part.get_filename()): bytes(part.get_payload(decode=True))  # type: ignore[arg-type]
            for part in message.iter_attachments()}  # type: ignore[attr-defined]


def test_an_order_confirmation_is_faxed_as_a_pdf_through_the_mail_gateway(
        smtp: MailServer, world: Any, agent: Any, english: Any, django_capture_on_commit_callbacks: Any) -> None:
    order = faxed(world, agent, django_capture_on_commit_callbacks)
    note = Notification.objects.get(order=order)
    assert (note.channel, note.recipient, note.event, note.status, note.attempts) == (
        "fax", "020-87654321", "order_placed", "sent", 1)
    [(sender, recipients, raw)] = smtp.inbox.messages
    assert (sender, recipients) == ("orders@hotline.test", ["02087654321@fax.example.test"])
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == order.number
    files = attachments(raw)
    assert list(files) == [f"order-{order.number}.pdf"]
    pdf = files[f"order-{order.number}.pdf"]
    assert pdf.startswith(b"%PDF") and f"Order confirmation {order.number}".encode() in pdf
    assert pdf == render_document(order)  # the same document every time (ReportLab's invariant mode)


def test_an_invoice_is_faxed_on_request(smtp: MailServer, world: Any, agent: Any, english: Any,
                                        django_capture_on_commit_callbacks: Any) -> None:
    order = faxed(world, agent, django_capture_on_commit_callbacks)
    note = queue_notification(order.customer, order.number, "Your invoice", order=order, event="invoice")
    assert note is not None and deliver(note.pk) == "sent"
    files = attachments(smtp.inbox.messages[-1][2])
    assert list(files) == [f"invoice-{order.number}.pdf"]
    assert f"Invoice {order.number}".encode() in files[f"invoice-{order.number}.pdf"]


def test_a_fax_waits_while_the_mail_server_is_down(smtp: MailServer, world: Any, agent: Any, english: Any,
                                                   django_capture_on_commit_callbacks: Any) -> None:
    smtp.stop()
    order = faxed(world, agent, django_capture_on_commit_callbacks)
    note = Notification.objects.get(order=order)
    assert (note.status, note.attempts) == ("failed", 1)
    assert note.next_attempt_at is not None
    smtp.start()
    assert retry_failed(now=note.next_attempt_at) == 1
    note.refresh_from_db()
    assert (note.status, note.attempts, note.error) == ("sent", 2, "")
    assert [recipients for _s, recipients, _r in smtp.inbox.messages] == [["02087654321@fax.example.test"]]


def test_a_fax_number_without_digits_fails_and_sends_nothing(smtp: MailServer, world: Any) -> None:
    Customer.objects.filter(pk=world.customer.pk).update(notify_channel="fax", fax="none")
    note = queue_notification(Customer.objects.get(pk=world.customer.pk), "s", "b")
    assert note is not None and deliver(note.pk, now=NOW) == "failed"
    assert Notification.objects.get(pk=note.pk).error == "not a fax number: 'none'"
    assert smtp.inbox.messages == []
