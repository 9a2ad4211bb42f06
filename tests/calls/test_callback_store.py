"""OrmCallbackStore and the callback / voicemail actions: commit on capture, one live callback per number,
state changes, the live list, upcoming airings, voicemail filing and handling, the blacklist in the
caller profile, and the back-office screens."""

from __future__ import annotations

import asyncio
import datetime
from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from hotline.accounts.models import AuditEntry
from hotline.calls import callback_actions
from hotline.calls.callback_actions import do_capture_callback, do_handle_voicemail, do_record_callback_change
from hotline.calls.host.call_log import OrmCallLog
from hotline.calls.host.callback_store import OrmCallbackStore
from hotline.calls.host.directory import OrmDirectory
from hotline.calls.models import Callback, CallbackEvent, Voicemail
from hotline.crm.models import BlacklistEntry
from hotline.telephony import events as ev
from hotline.telephony.ports import CallbackCapture, CallbackChange, CallbackStore, CallLog, StoredCallback
from tests import factories
from tests.backoffice.helpers import admin_url, english_client
from tests.calls.helpers import Call, log

pytestmark = pytest.mark.django_db


# One fixed moment for the whole run: a second boundary passing mid-test must not move the expected times.
BASE = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=1)


def capture(number: str = "13800138000", arrived: float = 0.0, call_id: str = "c1", reason: str = "surge",
            airing_id: int | None = None) -> CallbackCapture:
    """A capture of `number`, arrived `arrived` seconds after a fixed moment about an hour ago."""
    base = BASE
    return CallbackCapture(number=number, hotline_number="4008001000", airing_id=airing_id, call_id=call_id,
                           reason=reason, arrived_at=base + datetime.timedelta(seconds=arrived))


def events_of(row: Callback) -> list[tuple[str, str, str]]:
    return [(e.kind, e.detail, e.call_id) for e in CallbackEvent.objects.filter(callback=row).order_by("id")]


def test_the_store_and_the_call_log_implement_their_ports() -> None:
    store: CallbackStore = OrmCallbackStore()
    call_log: CallLog = OrmCallLog()
    assert callable(store.capture) and callable(call_log.file_voicemail)


@pytest.mark.django_db(transaction=True)
def test_a_capture_is_committed_and_visible_to_another_connection_when_the_await_returns(world: Any) -> None:
    # given an airing of the world's station that is on air
    airing = factories.make_airing(world.station, timezone.now() - datetime.timedelta(minutes=3))
    store = OrmCallbackStore()
    wanted = capture("+86 138 0013 8000", airing_id=airing.pk)

    async def scenario() -> tuple[StoredCallback, list[tuple[Any, ...]]]:
        try:
            stored = await store.capture(wanted)
            # Django's sync thread holds another connection than the capture's worker thread
            seen = await sync_to_async(lambda: list(Callback.objects.values_list("pk", "number", "status")),
                                       thread_sensitive=True)()
            return stored, seen
        finally:
            await store.close()
            await sync_to_async(connections.close_all, thread_sensitive=True)()

    # when the engine captures a callback
    stored, seen = asyncio.run(scenario())
    # then the row is there for everyone as soon as the await returns
    row = Callback.objects.get()
    assert seen == [(row.pk, "13800138000", "pending")]
    assert stored == StoredCallback(
        callback_id=row.pk, number="13800138000", hotline_number="4008001000", airing_id=airing.pk,
        reason="surge", call_id="c1", arrived_at=wanted.arrived_at, captured_at=row.captured_at,
        status="pending", reach_attempts=1, dial_attempts=0, not_before=row.captured_at, last_result="",
        aired_at=airing.starts_at)
    assert (row.hotline_number, row.dnis, row.airing) == (world.hotline, "4008001000", airing)
    assert events_of(row) == [("captured", "surge", "c1")]


def test_five_captures_of_one_number_make_one_callback_with_the_earliest_arrival(world: Any) -> None:
    # given a caller who reaches us five times, the third time with the earliest arrival
    arrivals = [30.0, 20.0, 5.0, 40.0, 10.0]
    results = [do_capture_callback(capture(arrived=a, call_id=f"c{i}", reason="abandoned" if i else "surge"))
               for i, a in enumerate(arrivals)]
    # then one callback holds them all
    row = Callback.objects.get()
    assert [r.callback_id for r in results] == [row.pk] * 5
    assert [r.reach_attempts for r in results] == [1, 2, 3, 4, 5]
    assert (row.reach_attempts, row.arrived_at, row.call_id, row.reason) == (
        5, capture(arrived=5.0).arrived_at, "c0", "surge")
    assert results[-1].arrived_at == capture(arrived=5.0).arrived_at
    assert events_of(row) == [("captured", "surge", "c0")] + [
        ("deduplicated", f"abandoned; reach attempts {n}", f"c{n - 1}") for n in (2, 3, 4, 5)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_captures_of_one_number_make_one_callback(world: Any) -> None:
    stores = (OrmCallbackStore(), OrmCallbackStore())  # two engines' stores: two threads, two connections

    async def scenario() -> list[StoredCallback]:
        try:
            return list(await asyncio.gather(*(stores[i % 2].capture(capture(arrived=i, call_id=f"c{i}"))
                                               for i in range(8))))
        finally:
            for store in stores:
                await store.close()
            await sync_to_async(connections.close_all, thread_sensitive=True)()

    # when eight captures of one number run at once, on two stores
    stored = asyncio.run(scenario())
    # then there is one callback, reached eight times, each capture answered with it
    row = Callback.objects.get()
    assert {s.callback_id for s in stored} == {row.pk}
    assert sorted(s.reach_attempts for s in stored) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert (row.reach_attempts, row.arrived_at) == (8, capture(arrived=0).arrived_at)
    kinds = [kind for kind, _detail, _call in events_of(row)]
    assert kinds == ["captured"] + ["deduplicated"] * 7


def test_a_capture_that_loses_the_race_for_a_new_number_is_retried_as_a_repeat(world: Any, monkeypatch) -> None:
    # given a live callback, and a second capture whose look-up ran before the first one committed
    first = do_capture_callback(capture(call_id="c1"))
    real = callback_actions._live_callback
    looked_up: list[str] = []

    def stale_then_real(number: str) -> Callback | None:
        looked_up.append(number)
        return None if len(looked_up) == 1 else real(number)

    monkeypatch.setattr(callback_actions, "_live_callback", stale_then_real)
    # when it is stored, its insert breaks the one-live-per-number rule
    second = do_capture_callback(capture(arrived=-3, call_id="c2"))
    # then it is retried once and counted as a repeat
    row = Callback.objects.get()
    assert (second.callback_id, second.reach_attempts) == (first.callback_id, 2)
    assert (row.reach_attempts, row.arrived_at) == (2, capture(arrived=-3).arrived_at)
    assert events_of(row) == [("captured", "surge", "c1"), ("deduplicated", "surge; reach attempts 2", "c2")]
    assert looked_up == ["13800138000", "13800138000"]


@pytest.mark.django_db(transaction=True)
def test_captures_arriving_together_are_stored_in_one_transaction_and_each_answered(world: Any, monkeypatch) -> None:
    # given a store whose batches we can count
    store = OrmCallbackStore()
    batches: list[int] = []
    real = callback_actions.do_capture_callbacks

    def counted(captures: Any, *, actor: Any = None) -> Any:
        batches.append(len(captures))
        return real(captures, actor=actor)

    monkeypatch.setattr(callback_actions, "do_capture_callbacks", counted)
    numbers = [f"1380013{n:04d}" for n in range(10)] + ["13800130003", " ", "13800130004"]

    async def scenario() -> list[StoredCallback | BaseException]:
        try:
            return list(await asyncio.gather(*(store.capture(capture(number, arrived=i, call_id=f"c{i}"))
                                               for i, number in enumerate(numbers)), return_exceptions=True))
        finally:
            await store.close()
            await sync_to_async(connections.close_all, thread_sensitive=True)()

    # when thirteen captures arrive in the same instant, one of them without a number
    outcomes = asyncio.run(scenario())
    # then one transaction stored them: ten callbacks, two of them reached twice, and the bad one refused alone
    assert batches == [13]
    assert isinstance(outcomes[11], ValidationError)
    stored = [o for o in outcomes if isinstance(o, StoredCallback)]
    assert [(s.number, s.reach_attempts) for s in stored] == (
        [(n, 1) for n in numbers[:10]] + [("13800130003", 2), ("13800130004", 2)])
    assert Callback.objects.count() == 10
    assert CallbackEvent.objects.filter(kind="deduplicated").count() == 2


def test_a_batch_spoiled_by_a_race_is_stored_again_one_capture_at_a_time(world: Any, monkeypatch) -> None:
    # given a live callback for one number, and a batch whose first look-up of that number is stale
    first = do_capture_callback(capture(call_id="c1"))
    real = callback_actions._live_callback
    looked_up: list[str] = []

    def stale_once(number: str) -> Callback | None:
        looked_up.append(number)
        return None if len(looked_up) == 2 else real(number)

    monkeypatch.setattr(callback_actions, "_live_callback", stale_once)
    batch = [capture("13900139000", call_id="c2"), capture(arrived=-3, call_id="c3"), capture("13700137000")]
    # when the batch is stored, its insert breaks the one-live-per-number rule and rolls the batch back
    outcomes = callback_actions.do_capture_callbacks(batch)
    # then every capture is stored once, on its own: the racing one as a repeat
    assert [(o.number, o.reach_attempts) for o in outcomes if isinstance(o, StoredCallback)] == [
        ("13900139000", 1), ("13800138000", 2), ("13700137000", 1)]
    assert outcomes[1].callback_id == first.callback_id  # type: ignore[union-attr]
    assert Callback.objects.count() == 3
    assert [kind for kind, _d, _c in events_of(Callback.objects.get(pk=first.callback_id))] == [
        "captured", "deduplicated"]


@pytest.mark.django_db(transaction=True)
def test_a_caller_who_hangs_up_during_the_capture_is_still_stored(world: Any) -> None:
    store = OrmCallbackStore()

    async def scenario() -> None:
        try:
            waiting = asyncio.ensure_future(store.capture(capture(call_id="gone")))
            await asyncio.sleep(0)
            waiting.cancel()  # the caller hangs up while the capture waits for its batch
            with pytest.raises(asyncio.CancelledError):
                await waiting
        finally:
            await store.close()
            await sync_to_async(connections.close_all, thread_sensitive=True)()

    asyncio.run(scenario())
    assert list(Callback.objects.values_list("number", "call_id")) == [("13800138000", "gone")]


def _row(number: str, status: str) -> Callback:
    now = timezone.now()
    return Callback.objects.create(number=number, reason="surge", arrived_at=now, captured_at=now, status=status,
                                   updated_at=now)


@pytest.mark.parametrize("second", ["pending", "reserved", "dialling"])
def test_a_number_has_at_most_one_live_callback(second: str) -> None:
    _row("13800138000", "dialling")
    with pytest.raises(IntegrityError), transaction.atomic():
        _row("13800138000", second)
    assert Callback.objects.count() == 1


def test_finished_callbacks_do_not_count_against_a_live_one() -> None:
    for status in ("answered", "gave_up", "expired", "cancelled", "answered"):
        _row("13800138000", status)
    _row("13800138000", "pending")
    _row("13900139000", "pending")
    assert Callback.objects.filter(number="13800138000").count() == 6


def test_a_finished_callback_lets_the_number_be_captured_anew(world: Any) -> None:
    first = do_capture_callback(capture(call_id="c1"))
    do_record_callback_change(CallbackChange(callback_id=first.callback_id, kind="cancelled", at=timezone.now(),
                                             status="cancelled", dial_attempts=0, detail="reached an agent"))
    second = do_capture_callback(capture(call_id="c2"))
    assert second.callback_id != first.callback_id
    assert list(Callback.objects.order_by("id").values_list("status", "reach_attempts")) == [
        ("cancelled", 1), ("pending", 1)]


def test_a_change_saves_the_new_state_and_appends_its_event(world: Any) -> None:
    # given a pending callback
    stored = do_capture_callback(capture())
    store = OrmCallbackStore()
    dialled_at = timezone.now().replace(microsecond=0)
    retry_at = dialled_at + datetime.timedelta(minutes=10)
    # when it is dialled, and nobody answers
    async_to_sync(store.record)(CallbackChange(callback_id=stored.callback_id, kind="dialled", at=dialled_at,
                                               status="dialling", dial_attempts=1, detail="attempt 1",
                                               call_id="out-1"))
    async_to_sync(store.record)(CallbackChange(
        callback_id=stored.callback_id, kind="retry_scheduled", at=dialled_at + datetime.timedelta(seconds=30),
        status="pending", dial_attempts=1, not_before=retry_at, last_result="no_answer", detail="no_answer"))
    # then the row has the latest state, the last dial's call id kept, and every event is logged
    row = Callback.objects.get()
    assert (row.status, row.dial_attempts, row.not_before, row.last_result, row.last_call_id, row.updated_at) == (
        "pending", 1, retry_at, "no_answer", "out-1", dialled_at + datetime.timedelta(seconds=30))
    assert events_of(row) == [("captured", "surge", "c1"), ("dialled", "attempt 1", "out-1"),
                              ("retry_scheduled", "no_answer", "")]


@pytest.mark.parametrize("change", [
    {"status": "ringing"}, {"kind": "exploded"}, {"last_result": "maybe"}, {"callback_id": 999_999},
    {"at": datetime.datetime(2026, 11, 24, 20, 0)},
])
def test_an_invalid_change_is_refused_and_changes_nothing(world: Any, change: dict[str, Any]) -> None:
    stored = do_capture_callback(capture())
    fields: dict[str, Any] = {"callback_id": stored.callback_id, "kind": "dialled", "at": timezone.now(),
                              "status": "dialling", "dial_attempts": 1, **change}
    with pytest.raises(ValidationError):
        do_record_callback_change(CallbackChange(**fields))
    assert list(Callback.objects.values_list("status", "dial_attempts")) == [("pending", 0)]
    assert CallbackEvent.objects.count() == 1


def test_an_invalid_capture_is_refused_and_writes_nothing(world: Any) -> None:
    for bad in (capture(number=" "), capture(reason="bored"), capture(call_id="x" * 65)):
        with pytest.raises(ValidationError):
            do_capture_callback(bad)
    assert (Callback.objects.count(), CallbackEvent.objects.count()) == (0, 0)


def test_live_lists_the_live_callbacks_oldest_capture_first(world: Any) -> None:
    numbers = ["13800138001", "13800138002", "13800138003", "13800138004"]
    stored = [do_capture_callback(capture(number=n, call_id=f"c{i}")) for i, n in enumerate(numbers)]
    now = timezone.now()
    for callback, kind, status in ((stored[1], "answered", "answered"), (stored[2], "dialled", "dialling")):
        do_record_callback_change(CallbackChange(callback_id=callback.callback_id, kind=kind, at=now,
                                                 status=status, dial_attempts=1))
    live = async_to_sync(OrmCallbackStore().live)()
    assert [(c.number, c.status, c.dial_attempts) for c in live] == [
        ("13800138001", "pending", 0), ("13800138003", "dialling", 1), ("13800138004", "pending", 0)]
    assert live[0] == stored[0]


def test_upcoming_airings_are_the_distinct_starts_in_the_window(world: Any) -> None:
    other = factories.make_station("cctv", "央视")
    now = timezone.now().replace(microsecond=0)
    minutes = [-1, 1, 3, 3, 6]
    for i, offset in enumerate(minutes):
        station = other if i == 3 else world.station
        factories.make_airing(station, now + datetime.timedelta(minutes=offset))
    starts = async_to_sync(OrmCallbackStore().upcoming_airings)(now, 300.0)
    assert starts == [now + datetime.timedelta(minutes=1), now + datetime.timedelta(minutes=3)]
    assert async_to_sync(OrmCallbackStore().upcoming_airings)(now, 30.0) == []


def test_a_voicemail_is_filed_with_its_call_s_caller_number_and_airing(world: Any) -> None:
    # given a call attributed to an airing that ended in the voicemail box
    airing = factories.make_airing(world.station, timezone.now() - datetime.timedelta(minutes=2))
    call = Call("vm1", caller="+86 139 0013 9000").step(ev.Hangup, 40, cause=ev.HangupCause.VOICEMAIL)
    call.events[0] = ev.Arrive(call_id="vm1", at=call.events[0].at, mono=call.events[0].mono,
                               caller="+86 139 0013 9000", dnis="400-800-1000", airing_id=airing.pk)
    log(call)
    # when the engine files the message
    async_to_sync(OrmCallLog().file_voicemail)("vm1", "/var/lib/hotline/voicemail/vm1.wav", 12.3456)
    # then it is on the worklist with the call's details
    mail = Voicemail.objects.get()
    assert (mail.call_id, mail.caller, mail.dnis, mail.hotline_number, mail.airing, mail.path,
            mail.duration_seconds, mail.status, mail.handled_by, mail.note) == (
        "vm1", "13900139000", "400-800-1000", world.hotline, airing, "/var/lib/hotline/voicemail/vm1.wav",
        Decimal("12.346"), "new", None, "")


def test_a_voicemail_of_an_unknown_call_or_twice_for_one_call_is_refused(world: Any) -> None:
    log(Call("vm1").step(ev.Hangup, 40))
    file = async_to_sync(OrmCallLog().file_voicemail)
    with pytest.raises(ValidationError):
        file("nope", "/tmp/x.wav", 3.0)
    file("vm1", "/tmp/a.wav", 3.0)
    with pytest.raises(ValidationError):
        file("vm1", "/tmp/b.wav", 3.0)
    assert list(Voicemail.objects.values_list("call_id", "path")) == [("vm1", "/tmp/a.wav")]


def test_handling_a_voicemail_is_audited_and_happens_once(world: Any, users: dict[str, Any]) -> None:
    log(Call("vm1").step(ev.Hangup, 40))
    async_to_sync(OrmCallLog().file_voicemail)("vm1", "/tmp/a.wav", 3.0)
    mail = Voicemail.objects.get()
    do_handle_voicemail(mail, actor=users["supervisor"], note="已回电")
    mail.refresh_from_db()
    assert (mail.status, mail.handled_by, mail.note) == ("handled", users["supervisor"], "已回电")
    entry = AuditEntry.objects.get(action="handle_voicemail")
    assert (entry.actor, entry.object_id, entry.before["status"], entry.after["status"]) == (
        users["supervisor"], str(mail.pk), "new", "handled")
    with pytest.raises(ValidationError):
        do_handle_voicemail(mail, actor=users["admin"], note="again")
    mail.refresh_from_db()
    assert (mail.handled_by, mail.note, AuditEntry.objects.filter(action="handle_voicemail").count()) == (
        users["supervisor"], "已回电", 1)


@pytest.mark.parametrize(("active", "action", "expected"), [
    (True, "reject", "reject"), (True, "warn", "warn"), (False, "reject", ""),
])
def test_the_caller_profile_carries_the_blacklist_s_word(active: bool, action: str, expected: str) -> None:
    BlacklistEntry.objects.create(number="13800138000", action=action, active=active)
    directory = OrmDirectory()
    try:
        profile = async_to_sync(directory.caller_profile)
        assert profile("+86 138-0013-8000").blacklist == expected
        assert profile("13900139000").blacklist == ""
    finally:
        directory.close()


# --- back office ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [
    ("supervisor", 200), ("manager", 200), ("admin", 200), ("logistics", 403), ("finance", 403),
])
def test_the_callback_and_voicemail_screens(world: Any, users: dict[str, Any], role: str, status: int) -> None:
    stored = do_capture_callback(capture())
    browser = english_client(users[role])
    assert browser.get(admin_url("calls/callback")).status_code == status
    assert browser.get(admin_url("calls/callback", "change", stored.callback_id)).status_code == status
    assert browser.get(admin_url("calls/voicemail")).status_code == status


def test_the_callback_list_filters_by_status_and_shows_the_events(world: Any, users: dict[str, Any]) -> None:
    first = do_capture_callback(capture(number="13800138001"))
    do_capture_callback(capture(number="13800138002"))
    do_record_callback_change(CallbackChange(callback_id=first.callback_id, kind="dialled", at=timezone.now(),
                                             status="dialling", dial_attempts=1, detail="attempt 1"))
    browser = english_client(users["supervisor"])
    page = browser.get(admin_url("calls/callback") + "?status=dialling")
    assert [row.number for row in page.context["cl"].result_list] == ["13800138001"]
    detail = browser.get(admin_url("calls/callback", "change", first.callback_id)).content.decode()
    assert "attempt 1" in detail
    assert browser.get(admin_url("calls/callback", "add")).status_code == 403


@pytest.mark.parametrize(("role", "handled"), [("supervisor", "handled"), ("manager", "new")])
def test_mark_handled_goes_through_the_action(world: Any, users: dict[str, Any], role: str, handled: str) -> None:
    log(Call("vm1").step(ev.Hangup, 40))
    async_to_sync(OrmCallLog().file_voicemail)("vm1", "/tmp/a.wav", 3.0)
    mail = Voicemail.objects.get()
    english_client(users[role]).post(admin_url("calls/voicemail"), {
        "action": "mark_handled", "_selected_action": [str(mail.pk)], "index": "0"})
    mail.refresh_from_db()
    assert (mail.status, AuditEntry.objects.filter(action="handle_voicemail").count()) == (
        handled, 1 if handled == "handled" else 0)


def test_a_capture_without_the_engine_s_airing_is_attributed_like_a_call(world: Any) -> None:
    # given an airing on air on the station of the dialled number, which the engine did not pass on
    airing = factories.make_airing(world.station, BASE - datetime.timedelta(minutes=1))
    # when the callback is captured, then it is attributed as its call record would be
    stored = do_capture_callback(capture(arrived=0.0))
    assert (stored.airing_id, stored.aired_at) == (airing.pk, airing.starts_at)


def test_the_stored_choices_are_exactly_the_engine_s_values() -> None:
    # The engine writes its enums' values into these columns; a value missing here would not validate.
    from hotline.calls import models
    from hotline.telephony.callback import model as engine

    pairs = ((models.CallbackStatus, engine.Status), (models.CallbackReason, engine.Reason),
             (models.DialResult, engine.DialResult), (models.CallbackEventKind, engine.EventKind))
    for stored, used in pairs:
        assert sorted(stored.values) == sorted(member.value for member in used), stored.__name__
    assert sorted(models.LIVE_CALLBACK_STATUSES) == sorted(status.value for status in engine.LIVE)


def test_a_closed_callback_never_comes_back_to_life(world: Any) -> None:
    # given a callback the caller's reaching an agent cancelled
    first = do_capture_callback(capture())
    do_record_callback_change(CallbackChange(callback_id=first.callback_id, kind="cancelled", at=timezone.now(),
                                             status="cancelled", dial_attempts=0))
    # when a late write would make it pending again, then it is refused and nothing changes
    with pytest.raises(ValidationError, match="closed"):
        do_record_callback_change(CallbackChange(callback_id=first.callback_id, kind="reserved", at=timezone.now(),
                                                 status="reserved", dial_attempts=0))
    row = Callback.objects.get(pk=first.callback_id)
    assert (row.status, list(CallbackEvent.objects.filter(callback=row).values_list("kind", flat=True))) == (
        "cancelled", ["captured", "cancelled"])
