"""Agent selection per strategy, with tie-breaking, skills widening and last-agent affinity."""

from __future__ import annotations

from hotline.telephony.acd import AgentState, Dispatcher, ManualClock, QueueConfig, Strategy, WideningStep
from tests.telephony.acd.helpers import build, call, pairs, ready_at

AGENTS = ("a1", "a2", "a3")


def team(config: QueueConfig, levels: tuple[int, ...] = (1, 1, 1)) -> tuple[Dispatcher, ManualClock]:
    members = {agent_id: {config.queue_id: level} for agent_id, level in zip(AGENTS, levels, strict=True)}
    return build(config, members=members)


def serve(dispatcher: Dispatcher, clock: ManualClock, caller_id: str, when: float) -> str:
    """Enqueue one caller at `when`, have the offered agent answer and hang up; return that agent."""
    clock.set(when)
    (offer,) = dispatcher.enqueue(call(caller_id)).offers
    dispatcher.answer(offer.agent_id)
    dispatcher.hang_up(offer.agent_id)
    return offer.agent_id


def test_longest_idle_offers_the_agent_ready_the_longest() -> None:
    # given a2 ready at 0, a3 at 1, a1 at 2
    dispatcher, clock = team(QueueConfig("sales"))
    ready_at(dispatcher, clock, 0.0, "a2", "a3", "a1")
    # when callers arrive, then they go to a2, a3, a1 in that order
    assert [serve(dispatcher, clock, f"c{n}", 10.0 + n) for n in range(4)] == ["a2", "a3", "a1", "a2"]


def test_longest_idle_ties_go_to_the_smaller_agent_id() -> None:
    dispatcher, _clock = team(QueueConfig("sales"))
    for agent_id in ("a3", "a1", "a2"):
        dispatcher.login(agent_id, ready=True)
    assert pairs(dispatcher.enqueue(call("c1"))) == [("c1", "a1")]


def test_round_robin_continues_after_the_last_agent_offered() -> None:
    # given round robin, agents joined a1, a2, a3, all ready (in a different order)
    dispatcher, clock = team(QueueConfig("sales", strategy=Strategy.ROUND_ROBIN))
    ready_at(dispatcher, clock, 0.0, "a3", "a2", "a1")
    # then calls go a1, a2, a3, a1 (join order, remembering the position)
    assert [serve(dispatcher, clock, f"c{n}", 10.0 + n) for n in range(4)] == ["a1", "a2", "a3", "a1"]


def test_round_robin_skips_an_agent_who_is_not_ready_and_resumes_after_the_one_offered() -> None:
    dispatcher, clock = team(QueueConfig("sales", strategy=Strategy.ROUND_ROBIN))
    ready_at(dispatcher, clock, 0.0, "a1", "a2", "a3")
    assert serve(dispatcher, clock, "c1", 10.0) == "a1"
    dispatcher.not_ready("a2", "break")
    assert serve(dispatcher, clock, "c2", 11.0) == "a3"
    dispatcher.ready("a2")
    assert serve(dispatcher, clock, "c3", 12.0) == "a1"
    assert serve(dispatcher, clock, "c4", 13.0) == "a2"


def test_fewest_calls_prefers_the_agent_with_fewest_answered_calls_then_longest_idle() -> None:
    # given a1 has answered two calls and a2 one, a3 none but a3 is ready last
    dispatcher, clock = team(QueueConfig("sales", strategy=Strategy.FEWEST_CALLS))
    ready_at(dispatcher, clock, 0.0, "a1")
    serve(dispatcher, clock, "x1", 1.0)
    serve(dispatcher, clock, "x2", 2.0)
    ready_at(dispatcher, clock, 3.0, "a2")
    dispatcher.not_ready("a1", "break")
    serve(dispatcher, clock, "x3", 4.0)
    dispatcher.ready("a1")
    ready_at(dispatcher, clock, 5.0, "a3")
    # then the next calls go to a3 (0 calls), then a2 (1, idle since 4), then a3 (1, idle since 6)
    assert [serve(dispatcher, clock, f"c{n}", 6.0 + n) for n in range(3)] == ["a3", "a2", "a3"]


def test_ring_all_offers_every_ready_agent_and_cancels_the_others_on_answer() -> None:
    # given ring all with a1 and a3 ready and a2 not ready
    dispatcher, clock = team(QueueConfig("sales", strategy=Strategy.RING_ALL))
    ready_at(dispatcher, clock, 0.0, "a3", "a1")
    dispatcher.login("a2", ready=False)
    # when a caller arrives, then both ready phones ring
    clock.set(5.0)
    assert pairs(dispatcher.enqueue(call("c1"))) == [("c1", "a1"), ("c1", "a3")]
    assert dispatcher.ringing("c1") == {"a1", "a3"}
    # when a3 answers, then a1 stops ringing and is ready again
    decision = dispatcher.answer("a3")
    assert [(o.caller_id, o.agent_id) for o in decision.cancelled] == [("c1", "a1")]
    assert dispatcher.agent("a1").state is AgentState.READY
    assert dispatcher.agent("a3").state is AgentState.ON_CALL


def test_ring_all_caller_goes_back_in_line_only_when_every_phone_rang_out() -> None:
    dispatcher, clock = team(QueueConfig("sales", strategy=Strategy.RING_ALL, max_misses=5))
    ready_at(dispatcher, clock, 0.0, "a1", "a2")
    clock.set(5.0)
    dispatcher.enqueue(call("c1"))
    clock.set(20.0)
    dispatcher.no_answer("a1")
    assert dispatcher.ringing("c1") == {"a2"}
    dispatcher.no_answer("a2")
    assert (dispatcher.ringing("c1"), dispatcher.waiting("sales")) == (set(), ["c1"])


def test_skills_offers_the_highest_level_then_longest_idle() -> None:
    dispatcher, clock = team(QueueConfig("sales", strategy=Strategy.SKILLS), levels=(3, 5, 5))
    ready_at(dispatcher, clock, 0.0, "a3", "a1", "a2")
    clock.set(10.0)
    assert pairs(dispatcher.enqueue(call("c1", min_level=2))) == [("c1", "a3")]
    assert pairs(dispatcher.enqueue(call("c2", min_level=2))) == [("c2", "a2")]
    assert pairs(dispatcher.enqueue(call("c3", min_level=2))) == [("c3", "a1")]


WIDENING = QueueConfig("sales", strategy=Strategy.SKILLS, widening=(WideningStep(30.0, 3), WideningStep(60.0, 1)))


def test_skills_caller_widens_to_lower_levels_at_the_exact_second() -> None:
    # given only a level-3 and a level-1 agent ready, and a caller needing level 5 entering at 100
    dispatcher, clock = team(WIDENING, levels=(3, 1, 1))
    ready_at(dispatcher, clock, 0.0, "a1", "a2")
    clock.set(100.0)
    assert dispatcher.enqueue(call("c1", min_level=5)).offers == []
    # when 29.999 s have passed, then still nobody
    clock.set(129.999)
    assert dispatcher.tick().offers == []
    # when exactly 30 s have passed, then the level-3 agent is offered
    clock.set(130.0)
    assert pairs(dispatcher.tick()) == [("c1", "a1")]


def test_skills_caller_widens_to_level_one_after_the_second_step() -> None:
    dispatcher, clock = team(WIDENING, levels=(1, 1, 1))
    ready_at(dispatcher, clock, 0.0, "a2")
    clock.set(100.0)
    dispatcher.enqueue(call("c1", min_level=5))
    clock.set(130.0)
    assert dispatcher.tick().offers == []
    assert dispatcher.next_due() == 160.0
    clock.set(160.0)
    assert pairs(dispatcher.tick()) == [("c1", "a2")]


def test_a_narrow_caller_does_not_block_a_wide_caller_behind_it() -> None:
    # given a caller needing level 5 who arrived first, then one needing nothing
    dispatcher, clock = team(WIDENING, levels=(2, 2, 2))
    dispatcher.enqueue(call("picky", min_level=5))
    clock.set(1.0)
    dispatcher.enqueue(call("easy"))
    # when a level-2 agent becomes ready, then it takes the second caller
    clock.set(2.0)
    assert pairs(dispatcher.login("a1", ready=True)) == [("easy", "a1")]
    assert dispatcher.waiting("sales") == ["picky"]


AFFINITY = QueueConfig("sales", affinity_seconds=20.0)


def test_a_repeat_caller_goes_to_their_last_agent_when_that_agent_is_ready() -> None:
    dispatcher, clock = team(AFFINITY)
    ready_at(dispatcher, clock, 0.0, "a1", "a2", "a3")
    clock.set(10.0)
    assert pairs(dispatcher.enqueue(call("c1", last_agent_id="a3"))) == [("c1", "a3")]


def test_a_repeat_caller_waits_for_their_busy_last_agent_inside_the_window() -> None:
    # given a3 on a call and a1 ready; the repeat caller of a3 enters at 100
    dispatcher, clock = team(AFFINITY)
    ready_at(dispatcher, clock, 0.0, "a3")
    serve_and_keep = dispatcher.enqueue(call("x"))
    dispatcher.answer(serve_and_keep.offers[0].agent_id)
    ready_at(dispatcher, clock, 1.0, "a1")
    clock.set(100.0)
    assert dispatcher.enqueue(call("c1", last_agent_id="a3")).offers == []
    # when a3 hangs up at 119.999 (just inside the 20 s window), then a3 gets the caller, not a1
    clock.set(119.999)
    assert pairs(dispatcher.hang_up("a3")) == [("c1", "a3")]


def test_a_repeat_caller_goes_to_normal_selection_at_the_window_edge() -> None:
    dispatcher, clock = team(AFFINITY)
    ready_at(dispatcher, clock, 0.0, "a3")
    dispatcher.answer(dispatcher.enqueue(call("x")).offers[0].agent_id)
    ready_at(dispatcher, clock, 1.0, "a1")
    clock.set(100.0)
    dispatcher.enqueue(call("c1", last_agent_id="a3"))
    # when exactly 20 s have passed, then the hold ends and the ready a1 is offered
    clock.set(120.0)
    assert pairs(dispatcher.tick()) == [("c1", "a1")]


def test_affinity_does_not_wait_for_a_logged_out_agent() -> None:
    dispatcher, clock = team(AFFINITY)
    ready_at(dispatcher, clock, 0.0, "a1")
    assert pairs(dispatcher.enqueue(call("c1", last_agent_id="a2"))) == [("c1", "a1")]


def test_logout_releases_callers_held_for_that_agent() -> None:
    dispatcher, clock = team(AFFINITY)
    dispatcher.login("a3", ready=False)
    ready_at(dispatcher, clock, 1.0, "a1")
    dispatcher.not_ready("a1", "break")
    clock.set(5.0)
    dispatcher.enqueue(call("c1", last_agent_id="a3"))
    dispatcher.ready("a1")
    assert dispatcher.waiting("sales") == []
    assert dispatcher.agent("a1").state is AgentState.READY
    # when a3 logs out, then c1 goes to a1 at once
    assert pairs(dispatcher.logout("a3")) == [("c1", "a1")]


def test_leaving_the_queue_releases_callers_held_for_that_agent() -> None:
    dispatcher, clock = team(AFFINITY)
    dispatcher.login("a3", ready=False)
    clock.set(5.0)
    dispatcher.enqueue(call("c1", last_agent_id="a3"))
    assert dispatcher.waiting("sales") == []
    dispatcher.leave("a3", "sales")
    assert dispatcher.waiting("sales") == ["c1"]
    dispatcher.ready("a3")
    assert dispatcher.agent("a3").state is AgentState.READY


def test_a_callback_counts_widening_from_its_original_arrival() -> None:
    # given only a level-3 agent ready, and at 500 a callback of a call that arrived at 460 wanting level 5
    dispatcher, clock = team(WIDENING, levels=(3, 1, 1))
    ready_at(dispatcher, clock, 0.0, "a1")
    clock.set(500.0)
    # then it has waited 40 s already, past the 30 s step, and is offered the level-3 agent at once
    assert pairs(dispatcher.enqueue(call("cb", min_level=5, arrival=460.0))) == [("cb", "a1")]


def test_a_callback_widens_at_the_exact_second_counted_from_its_original_arrival() -> None:
    dispatcher, clock = team(WIDENING, levels=(3, 1, 1))
    ready_at(dispatcher, clock, 0.0, "a1")
    clock.set(500.0)
    assert dispatcher.enqueue(call("cb", min_level=5, arrival=480.0)).offers == []
    clock.set(509.999)
    assert dispatcher.tick().offers == []
    clock.set(510.0)
    assert pairs(dispatcher.tick()) == [("cb", "a1")]


def test_callers_wanting_different_levels_are_still_served_in_arrival_order() -> None:
    # given a level-3 agent ready, and at 0 a caller wanting 5 then a caller wanting 4 (neither fits yet)
    dispatcher, clock = team(WIDENING, levels=(3, 1, 1))
    ready_at(dispatcher, clock, 0.0, "a1")
    dispatcher.enqueue(call("first", min_level=5))
    dispatcher.enqueue(call("second", min_level=4))
    assert dispatcher.waiting("sales") == ["first", "second"]
    # when both widen to level 3 at 30, then the one who entered first is offered
    clock.set(30.0)
    assert pairs(dispatcher.tick()) == [("first", "a1")]


def test_a_held_repeat_caller_can_abandon_and_leaves_nothing_behind() -> None:
    dispatcher, clock = team(AFFINITY)
    dispatcher.login("a3", ready=False)
    dispatcher.enqueue(call("c1", last_agent_id="a3"))
    assert dispatcher.held_for("c1") == "a3"
    dispatcher.abandon("c1")
    # when a3 becomes ready, then nothing is offered and the later hold timer does nothing
    assert dispatcher.ready("a3").offers == []
    clock.set(25.0)
    assert dispatcher.tick().offers == []
    assert not dispatcher.is_queued("c1")


def test_a_held_repeat_caller_still_overflows_at_max_wait() -> None:
    config = QueueConfig("sales", affinity_seconds=120.0, max_wait_seconds=60.0)
    dispatcher, clock = team(config)
    dispatcher.login("a3", ready=False)
    dispatcher.enqueue(call("c1", last_agent_id="a3"))
    clock.set(60.0)
    assert [o.caller_id for o in dispatcher.tick().overflows] == ["c1"]
    assert dispatcher.ready("a3").offers == []
