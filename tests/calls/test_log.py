"""The engine bridge writes the event log and one record per call; attribution; append-only; recordings."""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import ValidationError

from hotline.accounts.models import AuditEntry
from hotline.calls.actions import do_append_agent_state, do_append_call_event, do_purge_recordings
from hotline.calls.host.call_log import OrmCallLog
from hotline.calls.kpi import agent_times_for, entry_counts_for, queue_kpis_for
from hotline.calls.models import AgentStateEvent, AppendOnlyError, CallEvent, CallRecord, Outcome, Recording
from hotline.telephony import events as ev
from hotline.telephony.events import AgentState
from hotline.telephony.ports import CallLog
from tests import factories
from tests.calls.helpers import T0, Call, at, log

pytestmark = pytest.mark.django_db


def answered_call() -> Call:
    return Call("c1").queued().step(ev.Offer, 10, agent="t_agent").step(ev.Ring, 10, agent="t_agent", seat="s1") \
        .step(ev.Answer, 13, agent="t_agent").step(ev.Hold, 20, agent="t_agent") \
        .step(ev.Resume, 25, agent="t_agent").step(ev.Hangup, 73, agent="t_agent") \
        .step(ev.WrapupEnd, 85, agent="t_agent")


def test_the_bridge_implements_the_call_log_port() -> None:
    bridge: CallLog = OrmCallLog()
    assert all(callable(getattr(bridge, name)) for name in ("append", "append_agent_state", "close_call",
                                                            "link_recording"))


def test_an_answered_call_is_logged_step_by_step_with_one_record(world: Any, users: dict[str, Any]) -> None:
    log(answered_call())
    rows = list(CallEvent.objects.filter(call_id="c1"))
    assert [(row.seq, row.kind) for row in rows] == list(enumerate(
        ["arrive", "ivr_node", "enqueue", "offer", "ring", "answer", "hold", "resume", "hangup", "wrapup_end"],
        start=1))
    assert rows[5].agent == users["agent"] and rows[5].agent_key == "t_agent"
    assert rows[1].detail == {"flow": "main", "node": "menu", "digits": "1"}
    assert {row.hotline_number for row in rows} == {world.hotline} and {row.caller for row in rows} == {"13800138000"}
    record = CallRecord.objects.get()
    assert (record.outcome, record.queue, record.agent, record.hotline_number) == \
        ("answered", "sales", users["agent"], world.hotline)
    assert (record.arrived_at, record.enqueued_at, record.answered_at, record.ended_at) == \
        (T0, at(3), at(13), at(73))
    assert (record.wait_seconds, record.talk_seconds, record.hold_seconds, record.wrapup_seconds) == \
        (Decimal("10.000"), Decimal("55.000"), Decimal("5.000"), Decimal("12.000"))


def test_the_call_is_attributed_to_the_airing_at_arrival(world: Any) -> None:
    airing = factories.make_airing(world.station, starts_at=T0 - datetime.timedelta(minutes=2))
    other = factories.make_station("dragon", "东方卫视")
    factories.make_airing(other, starts_at=T0 - datetime.timedelta(minutes=1))
    log(Call("c1").step(ev.Hangup, 2))
    assert CallRecord.objects.get().airing == airing
    assert set(CallEvent.objects.values_list("airing", flat=True)) == {airing.pk}


def test_a_call_to_an_unknown_number_or_outside_any_window_has_no_airing(world: Any) -> None:
    factories.make_airing(world.station, starts_at=T0 - datetime.timedelta(hours=5))
    log(Call("late").step(ev.Hangup, 2), Call("odd", dnis="02012345678").step(ev.Hangup, 2))
    assert list(CallRecord.objects.order_by("call_id").values_list("call_id", "airing", "hotline_number")) == \
        [("late", None, world.hotline.pk), ("odd", None, None)]


def test_the_caller_number_is_normalised(world: Any) -> None:
    log(Call("c1", caller="+86 138-0013-8000").step(ev.Hangup, 1), Call("c2", caller="anonymous").step(ev.Hangup, 1))
    assert dict(CallRecord.objects.values_list("call_id", "caller")) == {"c1": "13800138000", "c2": "anonymous"}


@pytest.mark.parametrize(("call", "outcome"), [
    (Call("x").step(ev.IvrNode, 1, flow="main", node="welcome").step(ev.Hangup, 6), Outcome.ABANDONED_IN_IVR),
    (Call("x").queued().step(ev.Abandon, 30).step(ev.Hangup, 30), Outcome.ABANDONED_IN_QUEUE),
    (Call("x").queued().step(ev.Abandon, 8).step(ev.Hangup, 8), Outcome.SHORT_ABANDON),
    (Call("x").queued().step(ev.CallbackRequest, 9, number="13800138000").step(ev.Hangup, 10), Outcome.CALLBACK),
    (Call("x").step(ev.Hangup, 0, cause=ev.HangupCause.REFUSED_503, by=ev.HangupParty.SYSTEM), Outcome.REFUSED_503),
    (Call("x").step(ev.Hangup, 0, cause=ev.HangupCause.REJECTED, by=ev.HangupParty.SYSTEM), Outcome.REJECTED),
    (Call("x").queued().step(ev.Hangup, 300, cause=ev.HangupCause.VOICEMAIL, by=ev.HangupParty.SYSTEM),
     Outcome.VOICEMAIL),
    (Call("x").queued().step(ev.Hangup, 30, by=ev.HangupParty.SYSTEM), Outcome.FAILED),
], ids=["ivr", "queue", "short", "callback", "503", "rejected", "voicemail", "failed"])
def test_each_outcome(call: Call, outcome: str, world: Any) -> None:
    log(call)
    assert CallRecord.objects.get().outcome == outcome


def test_an_unanswered_outbound_call_failed(world: Any) -> None:
    call = Call("o", caller="4008001000", dnis="13800138000")
    call.events[0] = ev.Arrive(call_id="o", at=T0, mono=1.0, caller="4008001000", dnis="13800138000",
                               direction=ev.Direction.OUTBOUND)
    log(call.step(ev.Hangup, 30, by=ev.HangupParty.SYSTEM, cause=ev.HangupCause.NORMAL))
    assert (CallRecord.objects.get().direction, CallRecord.objects.get().outcome) == ("outbound", "failed")


def test_a_call_not_closed_yet_has_no_outcome(world: Any) -> None:
    log(Call("c1").queued(), close=False)
    assert CallRecord.objects.get().outcome == ""


def test_the_log_is_append_only(world: Any) -> None:
    log(Call("c1").queued(), close=False)
    first = CallEvent.objects.get(call_id="c1", seq=1)
    before = CallEvent.objects.values().get(pk=first.pk)
    first.queue = "forged"
    with pytest.raises(AppendOnlyError):
        first.save()
    with pytest.raises(AppendOnlyError):
        CallEvent.objects.filter(pk=first.pk).update(queue="forged")
    with pytest.raises(AppendOnlyError):
        first.delete()
    async_to_sync(OrmCallLog().append)(ev.Answer(call_id="c1", at=at(9), mono=9.0, queue="sales", agent="a1"))
    assert CallEvent.objects.values().get(pk=first.pk) == before
    assert list(CallEvent.objects.values_list("seq", flat=True)) == [1, 2, 3, 4]


def test_agent_state_log_is_append_only(users: dict[str, Any]) -> None:
    row = do_append_agent_state(ev.AgentStateChanged(agent="t_agent", at=T0, mono=1.0, state=AgentState.READY))
    assert row.agent == users["agent"]
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        AgentStateEvent.objects.update(state="x")


def test_steps_of_an_unknown_call_or_a_second_arrival_are_refused(world: Any) -> None:
    with pytest.raises(ValidationError):
        do_append_call_event(ev.Answer(call_id="nope", at=T0, mono=1.0))
    log(Call("c1"), close=False)
    with pytest.raises(ValidationError):
        do_append_call_event(ev.Arrive(call_id="c1", at=T0, mono=1.0, caller="1", dnis="4008001000"))
    with pytest.raises(ValidationError):
        do_append_call_event(ev.Hangup(call_id="c1", at=datetime.datetime(2026, 1, 1), mono=1.0))
    assert CallEvent.objects.count() == 1 and CallRecord.objects.count() == 1


def test_steps_are_published_after_commit(world: Any, events: list[tuple[str, dict[str, Any]]],
                                          django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        log(Call("c1").queued().step(ev.Hangup, 9))
    assert [topic for topic, _payload in events] == ["calls.arrive", "calls.ivr_node", "calls.enqueue",
                                                     "calls.hangup", "calls.ended"]
    assert events[-1][1] == {"call_id": "c1", "outcome": "abandoned_in_queue", "queue": "sales", "airing_id": None}


def test_kpis_from_the_database_log(world: Any, users: dict[str, Any]) -> None:
    log(answered_call(), Call("c2").queued().step(ev.Abandon, 43), Call("c3").step(ev.Hangup, 5))
    kpis = queue_kpis_for("sales", at(0), at(3600))
    assert (kpis.queued, kpis.answered, kpis.abandoned, kpis.asa, kpis.aht, kpis.acw) == \
        (2, 1, 1, 10, 60 + 12, 12)
    assert kpis.service_level == Fraction(1, 2)
    [row] = entry_counts_for(at(0), at(3600))
    assert (row.key, row.calls, row.lost_in_ivr, row.answered, row.abandoned_in_queue) == (None, 3, 1, 1, 1)


def test_entry_counts_per_airing_and_per_hotline_number(world: Any) -> None:
    airing = factories.make_airing(world.station, starts_at=T0 - datetime.timedelta(minutes=1))
    other = factories.make_hotline("4008002000", factories.make_station("dragon", "东方卫视"))
    log(Call("a").step(ev.IvrNode, 1, flow="main", node="welcome").step(ev.Hangup, 3),
        Call("b").queued().step(ev.Answer, 9, agent="a1").step(ev.Hangup, 50),
        Call("c", dnis="4008002000").step(ev.Hangup, 2))
    by_airing = {row.key: (row.calls, row.lost_in_ivr, row.answered) for row in entry_counts_for(at(0), at(60))}
    assert by_airing == {airing.pk: (2, 1, 1), None: (1, 1, 0)}
    by_number = {row.key: (row.calls, row.lost_in_ivr, row.answered)
                 for row in entry_counts_for(at(0), at(60), by="hotline_number")}
    assert by_number == {world.hotline.pk: (2, 1, 1), other.pk: (1, 1, 0)}


def test_occupancy_from_the_database_log(users: dict[str, Any]) -> None:
    bridge = OrmCallLog()
    for offset, state in [(-60, AgentState.READY), (0, AgentState.ON_CALL), (30, AgentState.WRAP_UP),
                          (40, AgentState.READY), (100, AgentState.LOGGED_OUT)]:
        async_to_sync(bridge.append_agent_state)(ev.AgentStateChanged(agent="t_agent", at=at(offset),
                                                                      mono=offset, state=state))
    times = agent_times_for(at(-30), at(120))
    assert times["t_agent"].occupancy == Fraction(40, 130) and times["t_agent"].staffed == 130


# ---------------------------------------------------------------- recordings and retention

def test_a_recording_is_linked_to_its_call(world: Any, tmp_path: Path) -> None:
    log(answered_call())
    async_to_sync(OrmCallLog().link_recording)("c1", str(tmp_path / "c1.wav"), 60.0004, 2)
    recording = Recording.objects.get()
    assert (recording.call.call_id, recording.duration_seconds, recording.channels) == ("c1", Decimal("60.000"), 2)
    with pytest.raises(ValidationError):
        async_to_sync(OrmCallLog().link_recording)("c1", "x.wav", 1.0, 3)
    assert Recording.objects.count() == 1


def test_purge_removes_recordings_past_retention(world: Any, users: dict[str, Any], tmp_path: Path,
                                                 settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.HOTLINE_RECORDING_RETENTION_DAYS = 30
    log(answered_call())
    old, young = tmp_path / "old.wav", tmp_path / "young.wav"
    for path in (old, young):
        path.write_bytes(b"RIFF")
        async_to_sync(OrmCallLog().link_recording)("c1", str(path), 60.0, 1)
    now = Recording.objects.get(path=str(young)).created_at + datetime.timedelta(days=31)
    Recording.objects.filter(path=str(young)).update(created_at=now - datetime.timedelta(days=29))
    with django_capture_on_commit_callbacks(execute=True):
        assert do_purge_recordings(actor=users["admin"], now=now) == 1
    assert list(Recording.objects.values_list("path", flat=True)) == [str(young)]
    assert not old.exists() and young.exists()
    entry = AuditEntry.objects.get(action="purge_recording")
    assert (entry.actor, entry.before["path"]) == (users["admin"], str(old))  # type: ignore[index]


def test_retention_zero_keeps_everything(world: Any, settings: Any) -> None:
    settings.HOTLINE_RECORDING_RETENTION_DAYS = 0
    log(answered_call())
    async_to_sync(OrmCallLog().link_recording)("c1", "/nonexistent/c1.wav", 1.0, 1)
    assert do_purge_recordings(actor=None, now=T0 + datetime.timedelta(days=10000)) == 0
    assert Recording.objects.count() == 1


def test_the_agent_who_controls_a_call_is_its_dialler_then_whoever_answers_and_nobody_after_a_transfer(
        users: dict[str, Any]) -> None:
    def step(event: ev.CallEvent) -> CallRecord:
        do_append_call_event(event, actor=None)
        return CallRecord.objects.get(call_id=event.call_id)

    outbound = step(ev.Arrive(call_id="out", at=at(0), mono=0, caller="13900139000", dnis="", agent="t_agent",
                              direction=ev.Direction.OUTBOUND))
    assert (outbound.agent_key, outbound.agent) == ("t_agent", users["agent"])
    step(ev.Arrive(call_id="in", at=at(0), mono=0, caller="13800138000", dnis="4008001000"))
    assert step(ev.Answer(call_id="in", at=at(5), mono=5, queue="orders", agent="t_agent")).agent_key == "t_agent"
    moved = step(ev.Transfer(call_id="in", at=at(9), mono=9, queue="orders", agent="t_agent", to_queue="vip"))
    assert (moved.agent_key, moved.agent) == ("", None)
