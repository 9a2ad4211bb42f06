"""The wallboard's snapshot: queues, callbacks, agents, lines and the current airing, as exact dicts."""

from __future__ import annotations

import datetime
import json
from fractions import Fraction
from typing import Any

import pytest

from hotline.accounts.models import User
from hotline.calls import kpi
from hotline.calls.models import (
    AgentStateEvent,
    Callback,
    CallbackEvent,
    CallbackEventKind,
    CallbackReason,
    CallbackStatus,
    Queue,
    ServiceLevelDenominator,
)
from hotline.telephony import events as ev
from hotline.telephony.events import AgentState
from hotline.wallboard.stats import floor_snapshot, local_day, queue_figures
from tests import factories
from tests.calls.helpers import T0, Call, at, log

pytestmark = pytest.mark.django_db

NOW = at(630)  # 2026-11-24 20:10:30 in Shanghai
NOW_ISO = "2026-11-24T20:10:30+08:00"
YESTERDAY = -21 * 3600  # 2026-11-23 23:00, an hour before midnight

SALES = {"name": "sales", "label": "sales", "waiting": 2, "longest_wait_seconds": 630 - 403, "service_level": 33.3,
         "offered": 5, "answered": 2, "abandoned": 1}
SERVICE = {"name": "service", "label": "service", "waiting": 0, "longest_wait_seconds": 0, "service_level": None,
           "offered": 0, "answered": 0, "abandoned": 0}
VIP = {"name": "vip", "label": "vip", "waiting": 0, "longest_wait_seconds": 0, "service_level": 100.0,
       "offered": 1, "answered": 1, "abandoned": 0}


def floor(world: Any) -> Any:
    """Two queues with rows, calls of today in "sales" and in "vip" (no row), yesterday's calls, and the
    10-minute airing at 20:00 they are attributed to."""
    Queue.objects.create(name="sales")
    Queue.objects.create(name="service", service_level_variant=ServiceLevelDenominator.ANSWERED)
    airing = factories.make_airing(world.station, T0, length_seconds=600, product=world.product)
    log(Call("c1", 0).queued().step(ev.Answer, 13, agent="a1").step(ev.Hangup, 73, agent="a1"),  # 10 s wait
        Call("c2", 60).queued().step(ev.Abandon, 33).step(ev.Hangup, 33),  # abandoned after 30 s
        Call("c3", 120).queued().step(ev.Answer, 33, agent="a1").step(ev.Hangup, 90, agent="a1"),  # 30 s
        Call("c7", 200, queue="vip").queued().step(ev.Answer, 8, agent="a2").step(ev.Hangup, 60, agent="a2"),
        Call("y2", YESTERDAY, queue="old").queued().step(ev.Answer, 10, agent="a2").step(ev.Hangup, 20))
    log(Call("c4", 400).queued(),  # waiting since 20:06:43
        Call("c5", 500).queued(),  # waiting since 20:08:23
        Call("c6", 550).step(ev.IvrNode, 1, flow="main", node="menu", digits=""),  # still in the IVR
        Call("y1", YESTERDAY).queued(),  # never closed: a stale record of yesterday
        close=False)
    return airing


def test_the_snapshot_of_a_busy_evening(world: Any, settings: Any) -> None:
    settings.HOTLINE_LINES = 30
    airing = floor(world)

    snapshot = floor_snapshot(NOW)

    assert snapshot == {
        "at": NOW_ISO,
        "queues": [SALES, SERVICE, VIP],
        "callbacks": {"captured_today": 0, "pending": 0, "done_today": 0},
        "agents": [],
        "lines": {"in_use": 3, "lines": 30},
        "airing": {"id": airing.pk, "station": "湖南卫视", "product": "颈椎按摩仪",
                   "starts_at": "2026-11-24T20:00:00+08:00", "ends_at": "2026-11-24T20:10:00+08:00",
                   "calls": 7,
                   "per_minute": [[0, 1], [1, 1], [2, 1], [3, 1], [4, 0], [5, 0], [6, 1], [7, 0], [8, 1],
                                  [9, 1], [10, 0]]},
    }
    assert json.loads(json.dumps(snapshot)) == snapshot


def test_the_service_level_is_the_kpi_modules_for_the_day(world: Any) -> None:
    floor(world)
    day = local_day(NOW)
    figures = kpi.queue_kpis_for("sales", day.start, day.end)

    entry = queue_figures("sales", NOW)

    assert (day.start.isoformat(), day.end.isoformat()) == ("2026-11-24T00:00:00+08:00", "2026-11-25T00:00:00+08:00")
    assert entry == SALES
    share = figures.service_level
    assert share == Fraction(1, 3)  # 1 answered within 20 s / (2 answered + 1 abandoned after 5 s)
    assert entry["service_level"] == float(kpi.rounded(share * 100, 1) or 0)
    assert (entry["offered"], entry["answered"], entry["abandoned"]) == \
        (figures.queued, figures.answered, figures.abandoned)


def test_one_queue_is_the_same_entry_as_in_the_snapshot(world: Any) -> None:
    floor(world)

    entries = [queue_figures(name, NOW) for name in ("sales", "service", "vip")]

    assert entries == floor_snapshot(NOW)["queues"]
    assert queue_figures("nowhere", NOW) == {"name": "nowhere", "label": "nowhere", "waiting": 0,
                                             "longest_wait_seconds": 0, "service_level": None, "offered": 0,
                                             "answered": 0, "abandoned": 0}


def test_a_quiet_floor_has_zeros_and_nones(db: Any, settings: Any) -> None:
    settings.HOTLINE_LINES = 0  # no licence limit
    Queue.objects.create(name="sales")

    assert floor_snapshot(NOW) == {
        "at": NOW_ISO, "queues": [{"name": "sales", "label": "sales", "waiting": 0, "longest_wait_seconds": 0,
                                   "service_level": None, "offered": 0, "answered": 0, "abandoned": 0}],
        "callbacks": {"captured_today": 0, "pending": 0, "done_today": 0}, "agents": [],
        "lines": {"in_use": 0, "lines": None}, "airing": None,
    }


def test_yesterdays_calls_count_yesterday_only(world: Any) -> None:
    floor(world)

    snapshot = floor_snapshot(at(YESTERDAY + 3600 - 1))  # 23:59:59 yesterday

    assert snapshot["queues"][0] == {"name": "old", "label": "old", "waiting": 0, "longest_wait_seconds": 0,
                                     "service_level": 100.0, "offered": 1, "answered": 1, "abandoned": 0}
    assert snapshot["queues"][1] == {"name": "sales", "label": "sales", "waiting": 1, "longest_wait_seconds": 3596,
                                     "service_level": None, "offered": 1, "answered": 0, "abandoned": 0}
    assert snapshot["lines"]["in_use"] == 1
    assert snapshot["airing"] is None


# ---------------------------------------------------------------- callbacks

def callback(number: str, captured: datetime.datetime, status: str = CallbackStatus.PENDING) -> Callback:
    return Callback.objects.create(number=number, reason=CallbackReason.SURGE, arrived_at=captured,
                                   captured_at=captured, status=status, updated_at=captured)


def test_callbacks_captured_pending_and_done(db: Any) -> None:
    callback("13800000001", at(-60))  # today, still pending
    callback("13800000002", at(YESTERDAY))  # yesterday, still pending
    done = callback("13800000003", at(-600), CallbackStatus.ANSWERED)
    CallbackEvent.objects.create(callback=done, kind=CallbackEventKind.ANSWERED, at=at(-300))
    old = callback("13800000004", at(YESTERDAY), CallbackStatus.ANSWERED)
    CallbackEvent.objects.create(callback=old, kind=CallbackEventKind.ANSWERED, at=at(YESTERDAY + 60))
    callback("13800000005", at(-30), CallbackStatus.CANCELLED)

    assert floor_snapshot(NOW)["callbacks"] == {"captured_today": 3, "pending": 2, "done_today": 1}


# ---------------------------------------------------------------- agents

def state(agent: str, offset: float, new: AgentState, seat: str = "", reason: str = "",
          phone_online: bool = True) -> None:
    user = User.objects.filter(username=agent).first()
    AgentStateEvent.objects.create(agent_key=agent, agent=user, state=new, seat=seat, reason=reason, at=at(offset),
                                   mono=5000.0 + offset, phone_online=phone_online)


def test_agents_logged_in_today_with_their_last_state(db: Any) -> None:
    named = factories.make_user("agent", "a1")
    named.first_name = "李娜"
    named.save()
    factories.make_user("agent", "a2")
    factories.make_user("agent", "a3")
    factories.make_user("agent", "a4")
    state("a1", -3600, AgentState.READY, "s1")
    state("a1", 300, AgentState.ON_CALL, "s1")
    state("a2", -8 * 3600, AgentState.NOT_READY, "s2", "lunch")
    state("a3", -11 * 3600, AgentState.READY, "s3")
    state("a3", -2 * 3600, AgentState.LOGGED_OUT, "s3")  # gone home
    state("a4", YESTERDAY, AgentState.READY, "s4")  # nothing logged today
    state("ghost", 0, AgentState.READY, "s5")  # an engine agent id without a user

    assert floor_snapshot(NOW)["agents"] == [
        {"agent": "a1", "name": "李娜", "state": "on_call", "reason": "", "seat": "s1",
         "since": "2026-11-24T20:05:00+08:00", "phone_online": True},
        {"agent": "a2", "name": "a2", "state": "not_ready", "reason": "lunch", "seat": "s2",
         "since": "2026-11-24T12:00:00+08:00", "phone_online": True},
        {"agent": "ghost", "name": "ghost", "state": "ready", "reason": "", "seat": "s5",
         "since": "2026-11-24T20:00:00+08:00", "phone_online": True},
    ]


def test_an_agent_ready_with_the_seat_phone_offline_shows_so_with_the_users_full_name(db: Any) -> None:
    named = factories.make_user("agent", "agent1")
    named.first_name = "李娜"
    named.save()
    state("agent1", -600, AgentState.READY, "A-01", phone_online=False)  # logged in, no phone registered yet
    state("agent2", -500, AgentState.READY, "A-02", phone_online=False)
    state("agent2", -400, AgentState.READY, "A-02", phone_online=True)  # its phone registered

    agents = floor_snapshot(NOW)["agents"]
    assert [(a["agent"], a["name"], a["state"], a["phone_online"], a["since"]) for a in agents] == [
        ("agent1", "李娜", "ready", False, "2026-11-24T19:50:00+08:00"),
        ("agent2", "agent2", "ready", True, "2026-11-24T19:53:20+08:00")]


def test_queues_show_their_labels_and_fall_back_to_their_names(db: Any) -> None:
    Queue.objects.create(name="orders", label="订购")
    Queue.objects.create(name="after_sales", label="售后")
    Queue.objects.create(name="vip")

    assert [(q["name"], q["label"]) for q in floor_snapshot(NOW)["queues"]] == [
        ("after_sales", "售后"), ("orders", "订购"), ("vip", "vip")]
    assert Queue.labels() == {"orders": "订购", "after_sales": "售后", "vip": "vip"}
    assert [str(queue) for queue in Queue.objects.order_by("name")] == ["售后", "订购", "vip"]


# ---------------------------------------------------------------- airing

def test_before_the_next_airing_starts_the_previous_one_still_shows(world: Any) -> None:
    current = factories.make_airing(world.station, T0, length_seconds=600)
    factories.make_airing(world.station, at(1200), length_seconds=60)  # 20:20, not started yet

    airing = floor_snapshot(NOW)["airing"]

    assert (airing["id"], airing["product"], airing["calls"]) == (current.pk, "", 0)
    assert airing["per_minute"] == [[minute, 0] for minute in range(11)]


def test_the_latest_started_airing_wins(world: Any) -> None:
    factories.make_airing(world.station, T0, length_seconds=600)
    other = factories.make_station("jiangsu", "江苏卫视")
    latest = factories.make_airing(other, at(300), length_seconds=60)

    airing = floor_snapshot(NOW)["airing"]

    assert (airing["id"], airing["station"], airing["starts_at"], airing["ends_at"]) == \
        (latest.pk, "江苏卫视", "2026-11-24T20:05:00+08:00", "2026-11-24T20:06:00+08:00")
    assert airing["per_minute"] == [[minute, 0] for minute in range(6)]


def test_no_airing_once_the_window_after_its_end_has_passed(world: Any) -> None:
    airing = factories.make_airing(world.station, T0, length_seconds=600)
    last_second = airing.ends_at + datetime.timedelta(minutes=30)

    assert floor_snapshot(last_second)["airing"]["id"] == airing.pk  # type: ignore[index]
    assert floor_snapshot(last_second + datetime.timedelta(seconds=1))["airing"] is None
    assert floor_snapshot(at(-1))["airing"] is None  # before it starts


def test_per_minute_keeps_the_last_180_minutes(world: Any) -> None:
    airing = factories.make_airing(world.station, T0 - datetime.timedelta(hours=4), length_seconds=4 * 3600)
    log(Call("late", 0).queued())  # 20:00, minute 240 of the programme

    minutes = floor_snapshot(NOW)["airing"]["per_minute"]  # type: ignore[index]

    assert airing.pk and len(minutes) == 180
    assert minutes[0] == [71, 0] and minutes[-1] == [250, 0]
    assert [m for m in minutes if m[1]] == [[240, 1]]


# ---------------------------------------------------------------- today's figures from the facts

def test_todays_figures_are_the_closed_calls_facts_plus_the_open_calls_replayed(world: Any) -> None:
    """Equal to `kpi.queue_kpis_for` for the day whatever state the calls are in: closed (facts), still
    waiting, talking, transferred and waiting again, hung up but not closed yet, queued before midnight."""
    floor(world)
    Queue.objects.create(name="svc", service_level_seconds=10, short_abandon_seconds=3,
                         service_level_variant=ServiceLevelDenominator.ASTERISK_SL2)
    log(Call("o1", 300).queued().step(ev.Answer, 9, agent="a3"),  # talking now
        Call("o2", 310).queued().step(ev.Transfer, 12, to_queue="svc").step(ev.Enqueue, 12, queue="svc"),
        Call("o3", 320, queue="svc").queued().step(ev.Abandon, 10).step(ev.Hangup, 10),  # hung up, not closed
        Call("o4", 330, queue="svc").queued().step(ev.Abandon, 5),  # a short abandon (2 s), not closed
        Call("mid", -20 * 3600 - 8, queue="svc").queued(),  # queued 23:59:55 yesterday, still waiting
        close=False)
    log(Call("k1", 340, queue="svc").queued().step(ev.Answer, 13, agent="a3").step(ev.Hangup, 40, agent="a3"))

    for name in ("sales", "svc", "vip", "service"):
        day = local_day(NOW)
        figures = kpi.queue_kpis_for(name, day.start, day.end)
        entry = queue_figures(name, NOW)
        assert (entry["offered"], entry["answered"], entry["abandoned"]) == \
            (figures.queued, figures.answered, figures.abandoned), name
        expected = None if figures.service_level is None else float(kpi.rounded(figures.service_level * 100, 1) or 0)
        assert entry["service_level"] == expected, name
    assert [queue_figures(name, NOW)["offered"] for name in ("sales", "svc")] == [5 + 2, 4]
    # SL2: k1 answered at 10 s, o3 (7 s) and o4 (2 s) abandoned ≤ 10 s
    assert queue_figures("svc", NOW)["service_level"] == 100.0


def test_the_figures_read_the_same_number_of_rows_however_many_calls_closed(world: Any) -> None:
    """Closed calls are summed in SQL: more of them add no query (only the open calls are read one by one)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    floor(world)
    with CaptureQueriesContext(connection) as few:
        queue_figures("sales", NOW)
    log(*(Call(f"m{i}", 240 + i).queued().step(ev.Answer, 4, agent="a1").step(ev.Hangup, 30, agent="a1")
          for i in range(20)))
    with CaptureQueriesContext(connection) as many:
        entry = queue_figures("sales", NOW)
    assert (len(many), entry["offered"], entry["answered"]) == (len(few), 5 + 20, 2 + 20)


def test_callers_sent_to_a_callback_are_not_abandoned_today(world: Any) -> None:
    """今日放弃: a caller the surge policy captured before the queue (a callback, no queue visit) and one who
    pressed the callback key while waiting (the visit ends as a callback) are not abandons."""
    Queue.objects.create(name="sales")
    log(Call("surge", 0).step(ev.IvrNode, 1, flow="main", node="menu", digits="1")
        .step(ev.CallbackRequest, 2, number="13800138001").step(ev.Hangup, 6, by=ev.HangupParty.SYSTEM),
        Call("key", 10).queued().step(ev.CallbackRequest, 40, number="13800138002")
        .step(ev.Hangup, 44, by=ev.HangupParty.SYSTEM),
        Call("gone", 20).queued().step(ev.Abandon, 30).step(ev.Hangup, 30))
    log(Call("key2", 30).queued().step(ev.CallbackRequest, 12, number="13800138003")
        .step(ev.Hangup, 15), close=False)  # the caller hangs up during the confirmation, call not closed yet

    entry = queue_figures("sales", NOW)

    assert (entry["offered"], entry["answered"], entry["abandoned"], entry["service_level"]) == (3, 0, 1, 0.0)
    day = local_day(NOW)
    figures = kpi.queue_kpis_for("sales", day.start, day.end)
    assert (figures.queued, figures.abandoned, figures.callbacks) == (3, 1, 2)
