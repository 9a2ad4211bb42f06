"""What surrounds an SMS: the per-number hourly limit, opt-outs (a 回T退订 reply pushed by the provider, or
recorded by staff), delivery receipts polled from the local provider server, and the task worker's
periodic retry and receipt functions."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from hotline.accounts.models import AuditEntry
from hotline.jobs import periodic
from hotline.notify.actions import deliver, queue_notification, retry_failed
from hotline.notify.inbound import do_lift_opt_out, do_record_opt_out, is_opt_out, poll_receipts
from hotline.notify.models import Notification, SmsOptOut
from tests.notify.provider import Provider
from tests.notify.sms_world import customer_with

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 7, 2, 0, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)
TOKEN = "s3cret-push-token"


def statuses(*notes: Notification | None) -> list[str]:
    return [Notification.objects.get(pk=n.pk).status for n in notes if n is not None]


def test_a_number_gets_at_most_n_sms_an_hour_and_the_rest_go_later(provider: Provider, world: Any,
                                                                    settings: Any) -> None:
    settings.HOTLINE_SMS_PER_HOUR = 2
    notes = [queue_notification(world.customer, "s", f"m{i}") for i in range(3)]
    other = queue_notification(customer_with("13900000009"), "s", "other number")
    times = [NOW, NOW + 10 * MINUTE, NOW + 20 * MINUTE]
    assert [deliver(n.pk, now=t) for n, t in zip(notes, times, strict=True) if n] == ["sent", "sent", "queued"]
    assert other is not None and deliver(other.pk, now=NOW + 20 * MINUTE) == "sent"
    held = Notification.objects.get(pk=notes[2].pk)  # type: ignore[union-attr]
    assert (held.status, held.attempts, held.next_attempt_at, held.error) == (
        "queued", 0, NOW + 60 * MINUTE, "Held back: at most 2 SMS an hour to one number.")
    assert retry_failed(now=NOW + 59 * MINUTE) == 0
    assert retry_failed(now=NOW + 60 * MINUTE) == 1
    assert statuses(*notes) == ["sent", "sent", "sent"]
    assert [a.params["content"] for a in provider.accepted] == ["m0", "m1", "other number", "m2"]


def test_the_outbox_alone_is_not_rate_limited(world: Any, settings: Any) -> None:
    settings.HOTLINE_SMS_PER_HOUR = 1
    notes = [queue_notification(world.customer, "s", f"m{i}") for i in range(3)]
    assert [deliver(n.pk, now=NOW) for n in notes if n] == ["outbox", "outbox", "outbox"]


@pytest.mark.parametrize(("text", "expected"), [
    ("T", True), ("t", True), ("TD", True), ("退订", True), ("回T退订", True), ("Ｔ", True), (" t。", True),
    ("谢谢", False), ("什么时候到货", False), ("", False)])
def test_replies_that_mean_no_more_sms(text: str, expected: bool) -> None:
    assert is_opt_out(text) is expected


def test_a_reply_t_pushed_by_the_provider_stops_every_later_sms(provider: Provider, world: Any,
                                                                settings: Any) -> None:
    settings.HOTLINE_SMS_CALLBACK_TOKEN = TOKEN
    waiting = queue_notification(world.customer, "s", "queued before the reply")
    push = [{"phone_number": "8613800138000", "content": "T", "send_time": "2026-12-07 10:01:00",
             "sign_name": "热线优选", "dest_code": "1234", "sequence_id": 1},
            {"phone_number": "13900000009", "content": "谢谢", "send_time": "2026-12-07 10:01:02",
             "sign_name": "热线优选", "dest_code": "1234", "sequence_id": 2}]
    response = Client().post(f"/notify/sms/uplink/{TOKEN}/", json.dumps(push), content_type="application/json")
    assert (response.status_code, response.json()) == (200, {"code": 0, "msg": "成功"})
    assert list(SmsOptOut.objects.values_list("number", "source", "text")) == [("13800138000", "reply", "T")]
    later = queue_notification(world.customer, "s", "after the reply")
    assert [deliver(n.pk, now=NOW) for n in (waiting, later) if n] == ["skipped", "skipped"]
    skipped = Notification.objects.get(pk=later.pk)  # type: ignore[union-attr]
    assert (skipped.attempts, skipped.error) == (0, "The number asked for no more SMS (replied T to unsubscribe).")
    assert provider.accepted == []
    # the same reply again records nothing more
    Client().post(f"/notify/sms/uplink/{TOKEN}/", json.dumps(push[:1]), content_type="application/json")
    assert SmsOptOut.objects.count() == 1


@pytest.mark.parametrize(("token", "setting", "body", "status"), [
    ("wrong", TOKEN, "[]", 404), (TOKEN, "", "[]", 404), (TOKEN, TOKEN, "not json", 400), (TOKEN, TOKEN, "[1]", 400)])
def test_a_bad_uplink_push_changes_nothing(settings: Any, token: str, setting: str, body: str, status: int) -> None:
    settings.HOTLINE_SMS_CALLBACK_TOKEN = setting
    response = Client().post(f"/notify/sms/uplink/{token}/", body, content_type="application/json")
    assert response.status_code == status
    assert SmsOptOut.objects.count() == 0


def test_staff_record_and_lift_an_opt_out(users: dict[str, Any], world: Any) -> None:
    opt_out = do_record_opt_out("138-0013-8000", actor=users["supervisor"])
    assert (opt_out.number, opt_out.source) == ("13800138000", "staff")
    note = queue_notification(world.customer, "s", "b")
    assert note is not None and deliver(note.pk) == "skipped"
    do_lift_opt_out(opt_out, actor=users["logistics"])
    again = queue_notification(world.customer, "s", "b")
    assert again is not None and deliver(again.pk) == "outbox"
    audit = AuditEntry.objects.filter(action__startswith="notify.").order_by("id")
    assert list(audit.values_list("action", "actor_name")) == [
        ("notify.opt_out", "t_supervisor"), ("notify.opt_in", "t_logistics")]


@pytest.mark.parametrize(("number", "message"), [
    ("020-87654321", "Only a mobile number receives SMS: 020-87654321"),
    ("12345", "“12345” is not a valid Chinese mobile or landline number.")])
def test_an_opt_out_for_a_number_that_gets_no_sms_is_refused(users: dict[str, Any], number: str,
                                                             message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        do_record_opt_out(number, actor=users["supervisor"])
    assert caught.value.message_dict == {"number": [message]}
    assert SmsOptOut.objects.count() == 0


def test_a_manager_may_not_record_an_opt_out(users: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        do_record_opt_out("13800138000", actor=users["manager"])
    assert SmsOptOut.objects.count() == 0


def test_receipts_are_polled_and_stored(provider: Provider, world: Any) -> None:
    provider.undeliverable = {"13900000009"}
    good = queue_notification(world.customer, "s", "good")
    bad = queue_notification(customer_with("13900000009"), "s", "bad")
    assert [deliver(n.pk, now=NOW) for n in (good, bad) if n] == ["sent", "sent"]
    assert poll_receipts(NOW + MINUTE) == 2
    rows = list(Notification.objects.order_by("pk").values_list("status", "receipt_code", "receipt_at"))
    received = datetime.datetime(2026, 12, 7, 2, 0, 5, tzinfo=datetime.UTC)  # 10:00:05 in Shanghai
    assert rows == [("delivered", "DELIVERED", received), ("undelivered", "MK:0001", received)]
    assert (provider.queries, poll_receipts(NOW + 2 * MINUTE), provider.queries) == (2, 0, 2)


def test_receipts_wait_while_the_provider_is_down(provider: Provider, world: Any) -> None:
    note = queue_notification(world.customer, "s", "b")
    assert note is not None and deliver(note.pk, now=NOW) == "sent"
    provider.stop()
    assert poll_receipts(NOW + MINUTE) == 0
    provider.start()
    assert poll_receipts(NOW + 2 * MINUTE) == 1
    assert statuses(note) == ["delivered"]


def test_a_message_whose_after_commit_delivery_was_lost_is_sent_by_the_worker(provider: Provider,
                                                                               world: Any) -> None:
    note = queue_notification(world.customer, "s", "b")  # the process stopped before its commit callback ran
    assert note is not None
    created = Notification.objects.get(pk=note.pk).created_at
    assert retry_failed(now=created + MINUTE) == 0
    assert retry_failed(now=created + 2 * MINUTE) == 1
    assert statuses(note) == ["sent"]


def test_the_worker_runs_retries_and_receipts_every_tick(provider: Provider, world: Any) -> None:
    provider.stop()
    note = queue_notification(world.customer, "s", "b")
    assert note is not None and deliver(note.pk, now=NOW) == "failed"
    provider.start()
    outcome = periodic.tick(NOW + 2 * MINUTE)
    assert (outcome["notify.retry"], outcome["notify.receipts"]) == ("ok", "ok")
    assert statuses(note) == ["delivered"]
