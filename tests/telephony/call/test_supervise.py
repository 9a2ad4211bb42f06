"""Supervisors on fake ports: listen, whisper and barge (who hears whom), switching on one phone call,
rejoining after hold, leaving; force hang-up; pick-up (代接) of a ringing or waiting call; and the races
of a supervisor's phone with the call's end."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hotline.telephony.engine import SeatConfig
from hotline.telephony.events import AgentState, Answer, CallStep, Hangup, HangupParty, Transfer

from .fake_sip import FakeInboundCall, Plan
from .harness import CALLER, Harness, play, refused, seat, talking

S = CallStep
SEATS = (seat("agent-1", "seat-1"), seat("", "seat-9"))


def heard(h: Harness, call: FakeInboundCall) -> list[frozenset[str]]:
    """(caller, agent, supervisor) hear."""
    supervisor = h.phone("seat-9").last
    supervisor_hears = frozenset() if supervisor.ended else h.hears(supervisor)
    return [h.hears(call), h.hears(h.phone("seat-1").last), supervisor_hears]


def test_listen_whisper_and_barge_each_let_exactly_the_right_parties_hear_each_other(tmp_path: Path) -> None:
    heard_in: dict[str, list[frozenset[str]]] = {}

    async def body(h: Harness) -> None:
        call = await talking(h)
        call_id = call.invite.call_id
        supervisor = h.phone("seat-9")
        for mode in ("listen", "whisper", "barge", "listen"):
            await h.control.monitor(call_id, "boss", mode, seat="seat-9")
            await h.until(lambda: h.hears(supervisor.last) != frozenset(), what="the supervisor joined")
            heard_in[mode] = heard(h, call)
        assert len(supervisor.calls) == 1 and supervisor.last.caller == f"sip:{CALLER}@127.0.0.1"
        await h.control.hold(call_id)
        heard_in["held"] = heard(h, call)
        await h.control.resume(call_id)  # hold unbridged the call; the supervisor joins again
        heard_in["resumed"] = heard(h, call)
        await h.control.stop_monitor("boss")
        assert supervisor.last.end_reason == "local bye"
        heard_in["after"] = heard(h, call)[:2]
        await refused("not_connected", h.control.stop_monitor("boss"))
        await h.control.monitor(call_id, "boss", "barge", seat="seat-9")
        await h.until(lambda: len(h.hears(supervisor.last)) == 2, what="the supervisor again")
        call.hang_up()  # the call ends: the supervisor's phone is hung up too
        await h.until(lambda: supervisor.last.ended, what="the supervisor's phone hung up")
        assert supervisor.last.end_reason == "local bye" and len(supervisor.calls) == 2

    h = play(tmp_path, body, seats=SEATS)
    a, c = "seat-1", CALLER
    assert heard_in["listen"] == [{a}, {c}, {c, a}]
    assert heard_in["whisper"] == [{a}, {c, "seat-9"}, {c, a}]
    assert heard_in["barge"] == [{a, "seat-9"}, {c, "seat-9"}, {c, a}]
    assert heard_in["held"] == [{"hold"}, set(), set()]
    assert heard_in["resumed"] == heard_in["listen"]
    assert heard_in["after"] == [{a}, {c}]
    assert h.call_log.kinds(h.sip.inbound[0].invite.call_id) == [
        S.ARRIVE, S.ENQUEUE, S.OFFER, S.RING, S.ANSWER, S.HOLD, S.RESUME, S.HANGUP, S.WRAPUP_END]


def test_monitoring_is_refused_on_a_call_without_an_agent_and_for_bad_requests(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        waiting = h.call_in()
        await h.until(lambda: h.engine.dispatcher.is_queued(waiting.invite.call_id), what="in line")
        await refused("not_connected", h.control.monitor(waiting.invite.call_id, "boss", "listen", seat="seat-9"))
        await refused("unknown_call", h.control.monitor("no-such-call", "boss", "listen", seat="seat-9"))
        await h.control.ready("agent-1")
        await h.until(lambda: h.connected(waiting, "agent-1"), what="the answer")
        call_id = waiting.invite.call_id
        await refused("bad_request", h.control.monitor(call_id, "boss", "shout", seat="seat-9"))
        await refused("unknown_seat", h.control.monitor(call_id, "boss", "listen", seat="seat-0"))
        await refused("no_phone", h.control.monitor(call_id, "boss", "listen"))  # not logged in, no seat given
        assert h.phone("seat-9").calls == []
        waiting.hang_up()

    play(tmp_path, body, seats=(seat("agent-1", "seat-1", ready=False), seat("", "seat-9")))


def test_a_supervisor_s_phone_that_answers_as_the_monitoring_stops_is_hung_up(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        await h.control.monitor(call.invite.call_id, "boss", "listen", seat="seat-9")
        await h.until(lambda: h.phone("seat-9").calls != [], what="the supervisor's phone ringing")
        h.phone("seat-9").last.answer()  # the 200 crosses the stop
        await h.control.stop_monitor("boss")
        await h.settle()
        assert h.phone("seat-9").last.end_reason == "local bye"
        assert h.media.monitors == {} and heard(h, call)[:2] == [{"seat-1"}, {CALLER}]
        assert [leg.released for leg in h.media.every_leg if leg.key.tag.startswith("supervisor")] == [True]
        call.hang_up()

    play(tmp_path, body, seats=SEATS, plans={"seat-9": Plan.RING})


def test_a_monitoring_stopped_while_the_supervisor_s_leg_opens_never_rings_their_phone(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        gate = h.media.gate("allocate", lambda leg: leg.tag.startswith("supervisor"))
        task = asyncio.ensure_future(h.control.monitor(call.invite.call_id, "boss", "listen", seat="seat-9"))
        await gate.reached.wait()
        await h.control.stop_monitor("boss")
        gate.release()
        await task
        await h.settle()
        assert h.phone("seat-9").calls == []
        assert [leg.released for leg in h.media.every_leg if leg.key.tag.startswith("supervisor")] == [True]
        call.hang_up()

    play(tmp_path, body, seats=SEATS)


def test_the_supervisor_s_phone_ringing_when_the_call_ends_stops_ringing(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        await h.control.monitor(call.invite.call_id, "boss", "barge", seat="seat-9")
        await h.until(lambda: h.phone("seat-9").calls != [], what="the supervisor's phone ringing")
        call.hang_up()
        await h.until(lambda: h.phone("seat-9").last.ended, what="the supervisor's phone to stop")
        assert h.phone("seat-9").last.end_reason == "cancelled"
        await refused("not_connected", h.control.stop_monitor("boss"))

    play(tmp_path, body, seats=SEATS, plans={"seat-9": Plan.RING})


def test_a_force_hang_up_ends_both_legs_as_the_system(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        await h.control.hang_up(call.invite.call_id)
        assert call.end_reason == "local bye" and h.phone("seat-1").last.end_reason == "local bye"
        await h.until(lambda: h.closed(call), what="the record")
        await refused("unknown_call", h.control.hang_up(call.invite.call_id))

    h = play(tmp_path, body, seats=SEATS)
    (hangup,) = h.events(Hangup)
    assert (hangup.by, hangup.agent) == (HangupParty.SYSTEM, "agent-1")
    assert h.call_log.kinds(hangup.call_id)[-2:] == [S.HANGUP, S.WRAPUP_END]


# -- pick-up --------------------------------------------------------------------------------------------------

PICKING = (seat("agent-1", "seat-1"), seat("boss", "seat-9", "after_sales"))


def test_a_supervisor_picks_up_a_call_ringing_at_an_agent_who_does_not_answer(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.until(lambda: h.logged(S.RING, call), what="agent-1 ringing")
        await h.control.pick_up(call.invite.call_id, "boss")
        await h.until(lambda: h.connected(call, "boss"), what="the pick-up")
        assert h.phone("seat-1").last.end_reason == "cancelled"
        assert h.state("agent-1") is AgentState.READY
        await refused("not_connected", h.control.pick_up(call.invite.call_id, "agent-1"))  # talking already
        call.hang_up()
        await h.until(lambda: h.closed(call), what="the record")

    h = play(tmp_path, body, seats=PICKING, plans={"seat-1": Plan.RING})
    call_id = h.sip.inbound[0].invite.call_id
    assert h.call_log.kinds(call_id) == [S.ARRIVE, S.ENQUEUE, S.OFFER, S.RING, S.TRANSFER, S.ENQUEUE, S.OFFER, S.RING,
                                         S.ANSWER, S.HANGUP, S.WRAPUP_END]
    (transfer,) = h.events(Transfer)
    assert (transfer.queue, transfer.agent, transfer.to_agent) == ("orders", "", "boss")
    assert [(e.queue, e.agent) for e in h.events(Answer)] == [("agent:boss", "boss")]


def test_a_caller_waiting_in_line_is_picked_up_at_the_front_of_the_agent_s_personal_queue(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.until(lambda: h.engine.dispatcher.is_queued(call.invite.call_id), what="in line")
        await refused("not_logged_in", h.control.pick_up(call.invite.call_id, "agent-9"))
        await refused("no_phone", h.control.pick_up(call.invite.call_id, "agent-3"))
        await h.control.pick_up(call.invite.call_id, "boss")
        await h.until(lambda: h.connected(call, "boss"), what="the pick-up")
        call.hang_up()

    seats = (seat("agent-1", "seat-1", ready=False), seat("boss", "seat-9", "after_sales"),
             SeatConfig("agent-3", "seat-3", username="8003", queues=("orders",)))  # registers: offline
    h = play(tmp_path, body, seats=seats)
    call_id = h.sip.inbound[0].invite.call_id
    assert h.call_log.kinds(call_id) == [S.ARRIVE, S.ENQUEUE, S.TRANSFER, S.ENQUEUE, S.OFFER, S.RING, S.ANSWER,
                                         S.HANGUP, S.WRAPUP_END]
    assert [(e.kind, e.queue) for e in h.call_log.of_call(call_id) if e.kind is S.ENQUEUE] == [
        (S.ENQUEUE, "orders"), (S.ENQUEUE, "agent:boss")]


def test_an_agent_who_answers_as_the_call_is_picked_up_is_hung_up(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.until(lambda: h.logged(S.RING, call), what="agent-1 ringing")
        h.phone("seat-1").last.answer()  # the 200 crosses the pick-up
        await h.control.pick_up(call.invite.call_id, "boss")
        await h.until(lambda: h.connected(call, "boss"), what="the pick-up")
        assert h.phone("seat-1").last.end_reason == "local bye"
        assert h.state("agent-1") is AgentState.READY
        call.hang_up()

    h = play(tmp_path, body, seats=PICKING, plans={"seat-1": Plan.RING})
    assert [e.agent for e in h.events(Answer)] == ["boss"]
