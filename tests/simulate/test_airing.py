"""A `Simulation` against a real engine (in-memory ports) over SIP and RTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from hotline.phones import Caller
from hotline.simulate.airing import Options, Simulation, SimulationError, Summary
from hotline.telephony.engine import PROMPTS
from hotline.telephony.events import Abandon, Answer, Arrive, CallStep, IvrNode
from hotline.telephony.ivr.timing import prompt_seconds
from hotline.telephony.memory import MemoryCallLog
from hotline.telephony.ports import Route

from ..telephony.engine.phones import until
from .helpers import DNIS, PASSWORD, run, running, seats

USERS = ["8001", "8002", "8003"]
MAIN_MENU_SECONDS = prompt_seconds(PROMPTS, ["main_menu"])["main_menu"]


def options(engine_address: tuple[str, int], **changes: object) -> Options:
    """Short calls so a run takes seconds: quick rings and talks, callers patient enough to be served."""
    base: dict[str, object] = dict(
        cps=5, duration=2, credentials=tuple((user, PASSWORD) for user in USERS), engine=engine_address,
        ring=(0.1, 0.3), talk=(0.5, 1.0), patience=(60.0, 60.0), listen=(1.0, 1.5), seed=9, drain_timeout=40.0)
    base.update(changes)
    return Options(**base)  # type: ignore[arg-type]


def assert_logged(call_log: MemoryCallLog, summary: Summary) -> None:
    """Every placed call is in the engine's log, opened by ARRIVE and ended by HANGUP; nothing else is."""
    placed = {result.call_id for result in summary.results}
    assert len(placed) == summary.placed
    assert {event.call_id for event in call_log.events} == placed
    for call_id in placed:
        kinds = call_log.kinds(call_id)
        assert kinds[0] is CallStep.ARRIVE and kinds.count(CallStep.HANGUP) == 1, kinds
    numbers = {result.number: result.call_id for result in summary.results}
    assert {e.caller: e.call_id for e in call_log.events if isinstance(e, Arrive)} == numbers


def test_an_airing_through_the_demo_ivr_is_answered_by_registered_agents_and_fully_accounted(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path, Route(DNIS, flow="demo"), seats(USERS)) as (engine, call_log):
            simulation = Simulation(options(engine.sip_address))
            summary = await simulation.run()
            await engine.flush_log()
            assert [engine.registrar.contact_for(f"sip:{user}@hotline") for user in USERS] == [None] * 3
        keys = Counter(caller.plan.key for caller in simulation.callers)
        assert summary.placed == 10 and summary.accounted
        assert sum(summary.outcomes.values()) == 10
        assert summary.outcomes == {
            "answered": keys["1"] + keys["3"], "callback": 0, "abandoned_ivr": 0, "abandoned_queue": 0,
            "self_service": keys["2"], "ended_by_engine": 0, "refused": 0, "failed": 0}
        assert keys["2"] >= 1 and keys["3"] >= 1 and keys["1"] >= 5  # the seed gives every path of the menu
        assert_logged(call_log, summary)
        answers = [event for event in call_log.events if isinstance(event, Answer)]
        queue_of = {answer.call_id: answer.queue for answer in answers}
        wanted = {"1": "orders", "2": None, "3": "after_sales"}
        assert {r.call_id: queue_of.get(r.call_id) for r in summary.results} == {
            r.call_id: wanted[r.key] for r in summary.results}  # each key press took its caller where it said
        for result in summary.results:
            visits = [e for e in call_log.of_call(result.call_id) if isinstance(e, IvrNode)]
            assert [e.node for e in visits[:3]] == [
                "welcome", "main_menu", {"1": "orders", "2": "status_by_caller", "3": "after_sales"}[result.key]]
            # pressed on hearing the menu start (REACTION after it), while the menu still played: the clock
            # fallback would press only a second after its end (an upper bound a loaded machine keeps to)
            assert 0.3 <= round(visits[2].mono - visits[1].mono, 3) < MAIN_MENU_SECONDS  # monos are in ms
        assert len(answers) == summary.answered
        assert Counter(event.agent for event in answers) == Counter(
            {f"agent-{user}": taken for user, taken in summary.per_agent.items() if taken})
        assert sum(summary.per_agent.values()) == summary.answered
        assert summary.heard_agent == summary.answered  # audio went both ways through the bridge
        assert summary.registration_failures == {}
        assert summary.setup_p50_ms is not None and summary.setup_p99_ms is not None
        assert 0 < summary.setup_p50_ms <= summary.setup_p99_ms < 2000

    run(scenario)


def test_callers_out_of_patience_abandon_in_the_queue_and_the_engine_logs_each_abandon(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path, Route(DNIS, queue="orders"), ()) as (engine, call_log):
            summary = await Simulation(options(engine.sip_address, duration=1, credentials=(), keys={"1": 1},
                                               menu_delay=0.2, announcement=0.0, patience=(0.8, 1.2))).run()
            await engine.flush_log()
        assert summary.placed == 5 and summary.accounted
        assert summary.outcomes["abandoned_queue"] == 5 and summary.answered == 0
        assert_logged(call_log, summary)
        abandons = [event for event in call_log.events if isinstance(event, Abandon)]
        assert sorted(event.call_id for event in abandons) == sorted(r.call_id for r in summary.results)
        assert summary.per_agent == {} and summary.heard_agent == 0

    run(scenario)


def test_a_number_the_engine_does_not_serve_is_counted_as_refused_with_its_status(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path, Route(DNIS, flow="demo"), seats(USERS)) as (engine, call_log):
            summary = await Simulation(options(engine.sip_address, duration=0.6, dnis="4009999999")).run()
        assert summary.placed == 3 and summary.accounted
        assert summary.outcomes["refused"] == 3 and summary.refused == {404: 3}
        assert summary.setup_p50_ms is None and call_log.events == []

    run(scenario)


def test_wrong_agent_passwords_stop_the_run_before_any_call_with_the_registrar_s_answer(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path, Route(DNIS, flow="demo"), seats(USERS)) as (engine, call_log):
            wrong = tuple((user, "not-the-password") for user in USERS)
            with pytest.raises(SimulationError, match=r"no agent phone could register \(answers: 401\)"):
                await Simulation(options(engine.sip_address, credentials=wrong)).run()
        assert call_log.events == []

    run(scenario)


def test_an_engine_that_does_not_answer_fails_fast_with_a_clear_message(unused_udp_port: int) -> None:
    async def scenario() -> None:
        simulation = Simulation(options(("127.0.0.1", unused_udp_port), connect_timeout=0.3))
        with pytest.raises(SimulationError, match=rf"no SIP answer from 127.0.0.1:{unused_udp_port} within 0.3 s"):
            await simulation.run()
        assert simulation.callers == []

    run(scenario, timeout=10)


def test_stop_places_no_more_calls_and_hangs_up_those_in_progress_as_failed(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path, Route(DNIS, queue="orders"), ()) as (engine, call_log):
            simulation = Simulation(options(engine.sip_address, duration=60, credentials=()))  # 300 calls planned
            running_simulation = asyncio.ensure_future(simulation.run())
            # Stop once six or more calls are up (answered, waiting in the queue), however long a loaded machine
            # takes to get there; `stop` runs right after the check, before another call can be placed.
            callers = simulation.callers
            await until(lambda: len(callers) >= 6 and all(c.result.status == 200 for c in callers),
                        timeout=40, what="six calls in progress")
            simulation.stop("stopped by a signal")
            in_progress = len(callers)
            summary = await running_simulation
            await engine.flush_log()
        assert 6 <= in_progress < simulation.options.calls  # stopped long before the last planned call …
        assert summary.placed == in_progress and summary.accounted  # … and not one placed after the stop
        assert summary.failed == {"stopped by a signal": in_progress} and summary.outcomes["failed"] == in_progress
        assert_logged(call_log, summary)

    run(scenario)


class StopsOnTheThirdLaunch(Simulation):
    """Stops right after launching its third caller, before that caller's task has run: a stop (Ctrl+C)
    landing between the two is the one moment it can find a caller that has not dialled yet."""

    withdrawn: Caller | None = None
    dialled = 0  # callers that had dialled when it stopped

    def _launch(self) -> None:
        super()._launch()
        if len(self.callers) == 3:
            self.withdrawn = self.callers[-1]
            self.dialled = sum(1 for caller in self.callers if caller.call is not None)
            self.stop("stopped by a signal")


def test_a_caller_stopped_before_dialling_never_dials_and_is_not_counted_as_placed(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(tmp_path, Route(DNIS, queue="orders"), ()) as (engine, call_log):
            simulation = StopsOnTheThirdLaunch(options(engine.sip_address, duration=60, credentials=()))
            summary = await simulation.run()
            await engine.flush_log()
        withdrawn = simulation.withdrawn
        assert withdrawn is not None and withdrawn.call is None and withdrawn.result.call_id == ""
        assert withdrawn not in simulation.callers and withdrawn.plan.number not in simulation.by_number
        # the two before it had dialled (a loaded machine may have launched them late: they count if they did)
        assert summary.placed == simulation.dialled == len(simulation.callers) and summary.accounted
        assert summary.failed == ({"stopped by a signal": simulation.dialled} if simulation.dialled else {})
        assert_logged(call_log, summary)  # the engine saw the dialled calls and no other

    run(scenario)
