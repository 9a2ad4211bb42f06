"""Device state in the dispatcher: an agent whose phone cannot be rung is never offered a call, is offered
again the moment it can, and counts neither as ready nor as staffed in the queue's figures."""

from __future__ import annotations

from hotline.telephony.acd import AgentState, QueueConfig
from hotline.telephony.acd.dispatcher import QueueStats
from tests.telephony.acd.helpers import build, call, pairs, ready_at

S = AgentState


def test_a_ready_agent_whose_phone_is_offline_is_never_offered_and_another_agent_takes_every_call() -> None:
    # given a1 (idle longest) and a2 logged in ready, a1's phone never registered
    dispatcher, clock = build(QueueConfig("sales"), members={"a1": {"sales": 1}, "a2": {"sales": 1}})
    assert dispatcher.phone_reachable("a1", False).offers == []
    ready_at(dispatcher, clock, 0.0, "a1", "a2")
    # when three callers come one after the other, then each rings a2, never a1
    offered = []
    for caller in ("c1", "c2", "c3"):
        clock.set(clock.now() + 10)
        offered += pairs(dispatcher.enqueue(call(caller)))
        dispatcher.answer("a2")
        clock.set(clock.now() + 5)
        dispatcher.hang_up("a2")
    assert offered == [("c1", "a2"), ("c2", "a2"), ("c3", "a2")]
    # and a1 stays ready (logged in, phone offline): nothing the agent did changed
    assert (dispatcher.agent("a1").state, dispatcher.agent("a1").phone_online) == (S.READY, False)


def test_the_moment_the_phone_registers_the_agent_is_offered_the_waiting_caller() -> None:
    # given a1 ready with its phone offline and c1 waiting
    dispatcher, clock = build(QueueConfig("sales"), members={"a1": {"sales": 1}})
    dispatcher.phone_reachable("a1", False)
    ready_at(dispatcher, clock, 0.0, "a1")
    clock.set(5.0)
    assert dispatcher.enqueue(call("c1")).offers == []
    assert dispatcher.waiting("sales") == ["c1"]
    # when the phone registers, then c1 rings a1 in the same decision
    clock.set(9.0)
    decision = dispatcher.phone_reachable("a1", True)
    assert pairs(decision) == [("c1", "a1")]
    assert [(c.old, c.new, c.at) for c in decision.changes] == [(S.READY, S.RINGING, 9.0)]


def test_a_registration_that_lapses_while_ready_takes_the_agent_out_of_the_offer_list() -> None:
    # given a1 and a2 ready with phones, a1 idle longest
    dispatcher, clock = build(QueueConfig("sales"), members={"a1": {"sales": 1}, "a2": {"sales": 1}})
    ready_at(dispatcher, clock, 0.0, "a1", "a2")
    assert dispatcher.queue_stats("sales") == QueueStats(present=0, longest_wait=0.0, ready=2, staffed=2)
    # when a1's registration expires, then it is neither ready nor staffed for the queue
    clock.set(20.0)
    lapsed = dispatcher.phone_reachable("a1", False)
    assert (lapsed.changes, lapsed.offers) == ([], [])
    assert dispatcher.queue_stats("sales") == QueueStats(present=0, longest_wait=0.0, ready=1, staffed=1)
    assert dispatcher.ready_agents("sales") == ["a2"]
    # and the next caller goes to a2 although a1 waited longer
    clock.set(30.0)
    assert pairs(dispatcher.enqueue(call("c1"))) == [("c1", "a2")]
    # and with a2 busy too, the next caller waits rather than ring a phone that is gone
    assert dispatcher.enqueue(call("c2")).offers == []
    assert dispatcher.waiting("sales") == ["c2"]


def test_repeating_the_phone_s_state_changes_nothing() -> None:
    dispatcher, clock = build(QueueConfig("sales"), members={"a1": {"sales": 1}})
    ready_at(dispatcher, clock, 0.0, "a1")
    for reachable in (True, True):
        decision = dispatcher.phone_reachable("a1", reachable)
        assert (decision.offers, decision.changes) == ([], [])
    dispatcher.phone_reachable("a1", False)
    dispatcher.phone_reachable("a1", False)
    assert dispatcher.queue_stats("sales").ready == 0 and dispatcher.queue_stats("sales").staffed == 0
    dispatcher.phone_reachable("a1", True)
    assert dispatcher.queue_stats("sales") == QueueStats(present=0, longest_wait=0.0, ready=1, staffed=1)


def test_the_expected_wait_for_surge_capture_counts_only_agents_whose_phone_can_ring() -> None:
    # given a 100 s handle time, two agents ready but only a1's phone registered, and a1 taken by c1
    config = QueueConfig("sales", default_handle_seconds=100.0)
    dispatcher, clock = build(config, members={"a1": {"sales": 1}, "a2": {"sales": 1}})
    dispatcher.phone_reachable("a2", False)
    ready_at(dispatcher, clock, 0.0, "a1", "a2")
    assert pairs(dispatcher.enqueue(call("c1"))) == [("c1", "a1")]
    dispatcher.answer("a1")
    dispatcher.enqueue(call("c2"))
    # then a newcomer waits behind c2 for the one staffed agent: (1 + 1) × 100 / 1, not / 2
    assert dispatcher.expected_wait_for_new("sales") == 200.0
    # and with no phone reachable at all, nobody staffs the queue
    dispatcher.phone_reachable("a1", False)
    assert dispatcher.expected_wait_for_new("sales") is None
    assert dispatcher.expected_wait("c2") is None


def test_an_agent_that_finishes_a_call_after_its_phone_went_offline_is_not_offered_the_next() -> None:
    # given a1 on a call with c1 and c2 waiting; wrap-up 10 s
    dispatcher, clock = build(QueueConfig("sales", wrap_up_seconds=10.0), members={"a1": {"sales": 1}})
    ready_at(dispatcher, clock, 0.0, "a1")
    dispatcher.enqueue(call("c1"))
    dispatcher.answer("a1")
    dispatcher.enqueue(call("c2"))
    # when the registration lapses during the call, then the call goes on (the agent is still on it)
    clock.set(5.0)
    dispatcher.phone_reachable("a1", False)
    assert dispatcher.agent("a1").state is S.ON_CALL
    assert dispatcher.staffed("sales") == 0
    clock.set(20.0)
    dispatcher.hang_up("a1")
    # and after wrap-up the agent is ready, but c2 is not offered to a phone that cannot ring
    clock.set(31.0)
    decision = dispatcher.tick()
    assert [(c.old, c.new) for c in decision.changes] == [(S.WRAP_UP, S.READY)]
    assert decision.offers == [] and dispatcher.waiting("sales") == ["c2"]
    # until the phone registers again
    assert pairs(dispatcher.phone_reachable("a1", True)) == [("c2", "a1")]


def test_a_caller_held_for_an_agent_whose_phone_went_offline_goes_back_to_the_line() -> None:
    # given affinity: c1 last talked to a1; a1 is busy, a2 busy, so c1 is held for a1
    config = QueueConfig("sales", affinity_seconds=60.0)
    dispatcher, clock = build(config, members={"a1": {"sales": 1}, "a2": {"sales": 1}})
    ready_at(dispatcher, clock, 0.0, "a1", "a2")
    dispatcher.enqueue(call("x1"))
    dispatcher.answer("a1")
    dispatcher.enqueue(call("x2"))
    dispatcher.answer("a2")
    clock.set(10.0)
    dispatcher.enqueue(call("c1", last_agent_id="a1"))
    assert dispatcher.held_for("c1") == "a1"
    # when a1's phone goes offline, then c1 waits in line for anyone (a2 frees up and takes it)
    dispatcher.phone_reachable("a1", False)
    assert dispatcher.held_for("c1") is None and dispatcher.waiting("sales") == ["c1"]
    clock.set(12.0)
    assert pairs(dispatcher.hang_up("a2")) == [("c1", "a2")]


def test_a_repeat_caller_is_not_held_for_an_agent_whose_phone_is_offline() -> None:
    config = QueueConfig("sales", affinity_seconds=60.0)
    dispatcher, clock = build(config, members={"a1": {"sales": 1}, "a2": {"sales": 1}})
    dispatcher.phone_reachable("a1", False)
    ready_at(dispatcher, clock, 0.0, "a1", "a2")
    assert pairs(dispatcher.enqueue(call("c1", last_agent_id="a1"))) == [("c1", "a2")]


def test_an_agent_logging_in_with_an_offline_phone_joins_and_leaves_queues_without_being_counted() -> None:
    dispatcher, clock = build(QueueConfig("sales"), QueueConfig("service"), members={"a1": {"sales": 1}})
    dispatcher.phone_reachable("a1", False)
    ready_at(dispatcher, clock, 0.0, "a1")
    dispatcher.join("a1", "service")
    assert [dispatcher.queue_stats(q).staffed for q in ("sales", "service")] == [0, 0]
    dispatcher.leave("a1", "sales")
    dispatcher.phone_reachable("a1", True)
    assert [dispatcher.queue_stats(q).ready for q in ("sales", "service")] == [0, 1]
