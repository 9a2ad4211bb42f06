"""What comes back from the SMS provider: delivery receipts (polled with QuerySendDetails) and customers'
replies (uplink messages the provider pushes to /notify/sms/uplink/<token>/), of which 回T退订 and its
variants record an opt-out; and opt-outs recorded by staff."""

from __future__ import annotations

import datetime
import logging
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.audit import record
from hotline.accounts.permissions import Perm, require_perm
from hotline.crm.models import Channel
from hotline.lib.phones import MOBILE, normalize_phone, phone_kind
from hotline.notify.backends import sms_gateway
from hotline.notify.models import Notification, NotificationStatus, OptOutSource, SmsOptOut
from hotline.notify.sms import GatewayError

log = logging.getLogger("hotline.notify")

# Replies that mean "no more messages" (the carriers' rule: 回T退订, "reply T to unsubscribe").
OPT_OUT_WORDS = frozenset({"T", "TD", "N", "退订", "回T退订", "取消", "STOP", "UNSUBSCRIBE"})
RECEIPT_WINDOW = datetime.timedelta(days=3)  # the provider keeps send details this long; later ones are left
RECEIPT_BATCH = 200


def is_opt_out(text: str) -> bool:
    """Whether a reply asks for no more SMS: one of the words, in any width or case, punctuation ignored."""
    folded = unicodedata.normalize("NFKC", text).strip().upper().strip("。.!！ ")
    return folded in OPT_OUT_WORDS


def _mobile(raw: str) -> str:
    number = normalize_phone(raw)
    if phone_kind(number) != MOBILE:
        raise ValidationError({"number": _("Only a mobile number receives SMS: %(number)s") % {"number": raw}})
    return number


def do_record_opt_out(raw_number: str, *, actor: Any, source: str = OptOutSource.STAFF, text: str = "") -> SmsOptOut:
    """Record that a number wants no more SMS; queued messages to it are skipped when their turn comes."""
    require_perm(actor, Perm.SEND_NOTIFICATIONS)
    try:
        number = _mobile(raw_number)
    except ValidationError as error:
        raise ValidationError({"number": error.messages}) from error
    with transaction.atomic():
        opt_out, created = SmsOptOut.objects.get_or_create(number=number,
                                                           defaults={"source": source, "text": text[:200]})
        if created:
            record("notify.opt_out", opt_out, actor=actor, after={"number": number, "source": source})
    return opt_out


def do_lift_opt_out(opt_out: SmsOptOut, *, actor: Any) -> None:
    """The customer wants SMS again (they asked on the phone): the number gets messages from now on."""
    require_perm(actor, Perm.SEND_NOTIFICATIONS)
    with transaction.atomic():
        record("notify.opt_in", opt_out, actor=actor, before={"number": opt_out.number, "source": opt_out.source})
        opt_out.delete()


def record_uplink(messages: Iterable[dict[str, Any]]) -> int:
    """Customers' replies pushed by the provider ([{phone_number, content, send_time, …}]); returns how many
    opt-outs were recorded. Other replies are logged: nobody reads an SMS inbox."""
    recorded = 0
    for message in messages:
        content, phone = str(message.get("content", "")), str(message.get("phone_number", ""))
        if not is_opt_out(content):
            log.info("SMS reply from %s: %s", phone, content)
            continue
        try:
            do_record_opt_out(phone, actor=None, source=OptOutSource.REPLY, text=content)
        except ValidationError:
            log.warning("SMS opt-out from an unusable number %r ignored", phone)
            continue
        recorded += 1
    return recorded


def _received_at(at: datetime.datetime | None, now: datetime.datetime) -> datetime.datetime:
    """The provider reports local (China) time without a zone."""
    return timezone.make_aware(at, timezone.get_default_timezone()) if at else now


def poll_receipts(now: datetime.datetime) -> int:
    """Ask the provider about sent SMS without a receipt yet (periodic); returns how many were settled."""
    if not settings.HOTLINE_SMS_URL:
        return 0
    waiting = (Notification.objects.filter(channel=Channel.SMS, status=NotificationStatus.SENT, receipt_at=None,
                                           sent_at__gte=now - RECEIPT_WINDOW).exclude(provider_id="")
               .order_by("sent_at")[:RECEIPT_BATCH])
    gateway, settled = sms_gateway(), 0
    for notification in waiting:
        assert notification.sent_at is not None
        try:
            receipt = gateway.receipt(notification.recipient, notification.provider_id,
                                      timezone.localdate(notification.sent_at))
        except GatewayError as error:
            log.warning("SMS receipt of %s: %s", notification.pk, error)
            if error.unreachable:
                break
            continue
        if receipt.state == "waiting":
            continue
        status = NotificationStatus.DELIVERED if receipt.state == "delivered" else NotificationStatus.UNDELIVERED
        Notification.objects.filter(pk=notification.pk, status=NotificationStatus.SENT).update(
            status=status, receipt_code=receipt.code[:64], receipt_at=_received_at(receipt.at, now))
        settled += 1
    return settled
