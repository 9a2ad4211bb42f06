"""Automatic voice notifications (自动语音播放) on the web side: the phrases that say an order's number digit
by digit and its status, the actions that queue a call and store the engine's results, and the notify
backend for the voice channel (`HOTLINE_NOTIFY_BACKENDS["voice"] = "hotline.campaigns.voice.EngineVoiceBackend"`),
which hands the message to the engine (hotline/telephony/campaign/voice.py) through `VoiceCall` rows."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from hotline.campaigns.models import VoiceCall, VoiceCallStatus
from hotline.notify.models import Notification, NotificationStatus
from hotline.orders.models import Order

INTRO, STATUS_INTRO, GOODBYE = "notice_intro", "order_status_intro", "goodbye"


def phrases_for(order: Order) -> list[str]:
    """您好…您的订单号是 2 0 7 …, 您的订单状态是 已发货, 再见: the order number's digits one by one."""
    digits = [f"num_{ch}" for ch in order.number if ch.isdigit()]
    return [INTRO, *digits, STATUS_INTRO, f"status_{order.status}", GOODBYE]


def do_queue_voice_call(number: str, order: Order, *, notification: Notification | None = None,
                        max_attempts: int = 3, retry_minutes: int = 10, actor: Any = None) -> VoiceCall:
    """A voice notification about `order` to `number`, for the engine to make."""
    number = (number or "").strip()
    if not number.isdigit():
        raise ValidationError({"number": _("Enter the phone number to call, digits only.")})
    with transaction.atomic():
        return VoiceCall.objects.create(notification=notification, order=order, number=number,
                                        prompts=phrases_for(order), max_attempts=max_attempts,
                                        retry_minutes=retry_minutes)


def do_record_voice_call(notice_id: int, *, status: str, attempts: int, result: str, call_id: str = "",
                         not_before: datetime.datetime | None = None, actor: Any = None) -> None:
    """The engine's result of one attempt (played, retry, gave up …)."""
    if status not in VoiceCallStatus.values:
        raise ValidationError({"status": _("Unknown voice notification status.")})
    with transaction.atomic():
        call = VoiceCall.objects.select_for_update().filter(pk=notice_id).first()
        if call is None:
            return
        call.status, call.attempts, call.last_result, call.not_before = status, attempts, result, not_before
        call.last_call_id = call_id or call.last_call_id
        call.save()


class EngineVoiceBackend:
    """The notify backend of the voice channel: the engine calls the customer and reads the order out."""

    limits_rate = True

    def send(self, notification: Notification) -> str:
        if notification.order is None:
            raise ValueError("a voice notification needs an order to read out")
        do_queue_voice_call(notification.recipient, notification.order, notification=notification)
        return NotificationStatus.SENT
