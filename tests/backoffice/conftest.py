"""Fixtures for the back office: English admin clients per role, and one object for every screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import Client
from django.utils import timezone

from hotline.accounts.actions import do_create_api_token, do_record_failed_sign_in
from hotline.accounts.models import AuditEntry, SignInThrottle
from hotline.calls.callback_actions import do_capture_callback
from hotline.calls.host.call_log import OrmCallLog
from hotline.calls.models import CallEvent, CallRecord, NumberRoute, Queue, Voicemail
from hotline.calls.seats import do_create_seat
from hotline.catalog.models import Supplier
from hotline.crm.actions import do_report_number
from hotline.ivrdata.models import IvrFlow, IvrPrompt
from hotline.kb.models import Category as KbCategory
from hotline.notify.models import Notification
from hotline.service.models import CallNote, Category, Complaint, Department, Message, Script
from hotline.telephony import events as ev
from hotline.telephony.ivr.loader import FLOWS_DIR
from hotline.telephony.ports import CallbackCapture
from tests import factories
from tests.backoffice.helpers import english_client, place_order
from tests.calls.helpers import Call, log, log_recording


@pytest.fixture
def client_as(users: dict[str, Any]) -> Callable[[str | None], Client]:
    """`client_as("logistics")`: an English browser logged in with that role; None for anonymous."""

    def make(role: str | None) -> Client:
        return english_client(users[role] if role else None)

    return make


@pytest.fixture
def things(world: Any, users: dict[str, Any]) -> dict[str, int]:
    """One object of every screen, by screen."""
    order = place_order(world, users["agent"])
    token, _raw = do_create_api_token(users["agent"], actor=users["admin"])
    entry = do_report_number("13912345678", actor=users["agent"], reason="prank calls")
    airing = factories.make_airing(world.station, product=world.product)
    supplier = Supplier.objects.create(name="深圳康泰")
    log(Call("bo1").queued().step(ev.Answer, 9, agent="t_agent").step(ev.Hangup, 40, agent="t_agent"))
    log_recording("bo1", "/var/lib/hotline/recordings/bo1.wav", 31.0)
    call = CallRecord.objects.get(call_id="bo1")
    callback = do_capture_callback(CallbackCapture(number="13800138000", hotline_number="4008001000", airing_id=None,
                                                   call_id="bo1", reason="surge", arrived_at=timezone.now()))
    async_to_sync(OrmCallLog().file_voicemail)("bo1", "/var/lib/hotline/voicemail/bo1.wav", 9.0)
    queue = Queue.objects.create(name="orders")
    route = NumberRoute.objects.create(hotline_number=world.hotline, queue=queue)
    seat = do_create_seat("A-01", "8001", "s3cret-pass", actor=users["admin"])
    flow = IvrFlow.objects.create(name="demo", definition=(FLOWS_DIR / "demo.yaml").read_text(encoding="utf-8"))
    prompt = IvrPrompt.objects.create(name="welcome", file="ivr/prompts/welcome.wav")  # the page only links it
    script = Script.objects.create(title="开场白", body="{salutation}您好")
    complaint = Complaint.objects.create(customer=world.customer, summary="送货慢", created_by=users["agent"])
    note = CallNote.objects.create(call_id="bo1", agent=users["agent"], disposition="enquiry")
    message = Message.objects.create(sender=users["agent"], to_supervisors=True, body="请帮忙")
    do_record_failed_sign_in("mallory", "192.0.2.1", actor=None)
    return {
        "accounts/user": users["agent"].pk, "accounts/apitoken": token.pk,
        "accounts/auditentry": AuditEntry.objects.first().pk,  # type: ignore[union-attr]
        "crm/customer": world.customer.pk, "crm/blacklistentry": entry.pk, "catalog/product": world.product.pk,
        "catalog/supplier": supplier.pk, "media/station": world.station.pk, "media/hotlinenumber": world.hotline.pk,
        "media/airing": airing.pk, "orders/order": order.pk,
        "notify/notification": Notification.objects.get(order=order).pk,
        "calls/callrecord": call.pk, "calls/callevent": CallEvent.objects.filter(call_id=call.call_id)[0].pk,
        "calls/recording": call.recordings.get().pk,
        "calls/callback": callback.callback_id, "calls/voicemail": Voicemail.objects.get().pk,
        "calls/queue": queue.pk, "calls/numberroute": route.pk, "calls/seat": seat.pk,
        "ivrdata/ivrflow": flow.pk, "ivrdata/ivrprompt": prompt.pk,
        "service/script": script.pk, "service/complaint": complaint.pk, "service/callnote": note.pk,
        "service/message": message.pk,
        "service/category": Category.objects.get(code="other").pk,
        "service/department": Department.objects.get(name="客服部").pk,
        "kb/category": KbCategory.objects.create(name="售后").pk,
        "accounts/signinthrottle": SignInThrottle.objects.get(kind="account", key="mallory").pk,
    }
