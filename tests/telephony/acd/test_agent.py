"""The agent state machine: legal moves, time in state, missed offers."""

from __future__ import annotations

import pytest

from hotline.telephony.acd import NO_ANSWER_REASON, Agent, AgentState, IllegalTransition, StateChange

S = AgentState


def on_call(now: float = 10.0) -> Agent:
    agent = Agent("a1", 0.0)
    agent.login(1.0, ready=True)
    agent.offer(5.0, "c1", "sales")
    agent.answer(now)
    return agent


def test_login_ready_records_the_time_spent_logged_out() -> None:
    # given an agent created at 0
    agent = Agent("a1", 0.0)
    # when it logs in ready at 12.5
    change = agent.login(12.5, ready=True)
    # then the change says it was logged out for 12.5 s and is ready since 12.5
    assert change == StateChange("a1", S.LOGGED_OUT, S.READY, 12.5, 12.5, None)
    assert (agent.state, agent.since, agent.idle_since) == (S.READY, 12.5, 12.5)
    assert agent.time_in_state(20.0) == 7.5


def test_login_not_ready_has_the_login_reason() -> None:
    agent = Agent("a1", 0.0)
    change = agent.login(3.0, ready=False)
    assert (change.new, change.reason, agent.reason) == (S.NOT_READY, "login", "login")


def test_not_ready_keeps_its_reason_code_and_needs_one() -> None:
    agent = Agent("a1", 0.0)
    agent.login(1.0, ready=True)
    with pytest.raises(ValueError, match="reason"):
        agent.go_not_ready(2.0, "")
    assert agent.state is S.READY
    change = agent.go_not_ready(4.0, "lunch")
    assert (change.old, change.new, change.previous_seconds, change.reason) == (S.READY, S.NOT_READY, 3.0, "lunch")


@pytest.mark.parametrize(
    ("prepare", "move", "message"),
    [
        ("logged_out", "answer", "agent a1 cannot go from logged_out to on_call"),
        ("ready", "answer", "agent a1 cannot go from ready to on_call"),
        ("ready", "hang_up", "agent a1 cannot hang up while ready"),
        ("ready", "login", "agent a1 cannot log in while ready"),
        ("on_call", "miss", "agent a1 cannot miss an offer while on_call"),
        ("ringing", "logout", "agent a1 cannot go from ringing to logged_out"),
        ("on_call", "not_ready", "agent a1 cannot go from on_call to not_ready"),
        ("on_call", "offer", "agent a1 cannot go from on_call to ringing"),
        ("not_ready", "offer", "agent a1 cannot go from not_ready to ringing"),
        ("not_ready", "answer", "agent a1 cannot go from not_ready to on_call"),
        ("ready", "connect", "agent a1 cannot go from ready to on_call"),
    ],
)
def test_illegal_moves_raise_and_change_nothing(prepare: str, move: str, message: str) -> None:
    # given an agent in some state
    agent = Agent("a1", 0.0)
    if prepare != "logged_out":
        agent.login(1.0, ready=prepare != "not_ready")
    if prepare in ("ringing", "on_call"):
        agent.offer(2.0, "c1", "sales")
    if prepare == "on_call":
        agent.answer(3.0)
    before = (agent.state, agent.since, agent.caller_id)
    # when it is asked for an illegal move, then it raises a clear error and stays put
    actions = {
        "answer": lambda: agent.answer(9.0),
        "hang_up": lambda: agent.hang_up(9.0, 5.0),
        "logout": lambda: agent.logout(9.0),
        "login": lambda: agent.login(9.0, ready=True),
        "miss": lambda: agent.miss(9.0, 2),
        "not_ready": lambda: agent.go_not_ready(9.0, "break"),
        "offer": lambda: agent.offer(9.0, "c2", "sales"),
        "connect": lambda: agent.connect(9.0, "c2", "sales"),
    }
    with pytest.raises(IllegalTransition, match=message):
        actions[move]()
    assert (agent.state, agent.since, agent.caller_id) == before


def test_a_paused_agent_can_change_the_reason_of_the_pause() -> None:
    agent = Agent("a1", 0.0)
    agent.login(1.0, ready=False)
    agent.go_not_ready(2.0, "lunch")
    change = agent.go_not_ready(5.0, "training")
    assert (change.old, change.new, change.previous_seconds, agent.reason) == (S.NOT_READY, S.NOT_READY, 3.0,
                                                                                 "training")


def test_a_reserved_agent_takes_a_handed_over_call_and_hangs_up_like_after_an_answer() -> None:
    agent = Agent("a1", 0.0)
    agent.login(1.0, ready=False)
    agent.go_not_ready(2.0, "consult")
    change = agent.connect(5.0, "c9", "sales")
    assert (change.old, change.new, agent.caller_id, agent.queue_id, agent.answered_at) == (
        S.NOT_READY, S.ON_CALL, "c9", "sales", 5.0)
    assert agent.hang_up(65.0, 0.0).new is S.READY


def test_hang_up_goes_to_wrap_up_when_the_queue_has_wrap_up_time() -> None:
    agent = on_call(10.0)
    change = agent.hang_up(70.0, 15.0)
    assert (change.old, change.new, change.previous_seconds) == (S.ON_CALL, S.WRAP_UP, 60.0)


def test_hang_up_goes_straight_to_ready_without_wrap_up_and_resets_idle_time() -> None:
    agent = on_call(10.0)
    change = agent.hang_up(70.0, 0.0)
    assert (change.new, agent.idle_since, agent.caller_id) == (S.READY, 70.0, None)


def test_a_miss_below_the_limit_returns_to_ready_without_losing_idle_time() -> None:
    # given a ready agent (idle since 1) offered a call
    agent = Agent("a1", 0.0)
    agent.login(1.0, ready=True)
    agent.offer(5.0, "c1", "sales")
    # when the phone rings out with a limit of 3 misses
    change = agent.miss(20.0, 3)
    # then it is ready again, keeps its idle-since and has one miss counted
    assert (change.new, agent.idle_since, agent.consecutive_misses) == (S.READY, 1.0, 1)


def test_the_nth_consecutive_miss_makes_the_agent_not_ready_with_reason_no_answer() -> None:
    agent = Agent("a1", 0.0)
    agent.login(1.0, ready=True)
    changes = []
    for when in (10.0, 20.0, 30.0):
        agent.offer(when, "c", "sales")
        changes.append(agent.miss(when + 5, 3))
    assert [change.new for change in changes] == [S.READY, S.READY, S.NOT_READY]
    assert (agent.reason, changes[-1].reason, agent.consecutive_misses) == (NO_ANSWER_REASON, "no answer", 0)


def test_an_answer_resets_the_miss_count() -> None:
    agent = Agent("a1", 0.0)
    agent.login(1.0, ready=True)
    agent.offer(2.0, "c1", "sales")
    agent.miss(3.0, 2)
    agent.offer(4.0, "c2", "sales")
    agent.answer(5.0)
    agent.hang_up(6.0, 0.0)
    agent.offer(7.0, "c3", "sales")
    assert agent.miss(8.0, 2).new is S.READY


def test_max_misses_zero_never_pauses_the_agent() -> None:
    agent = Agent("a1", 0.0)
    agent.login(1.0, ready=True)
    for when in range(10):
        agent.offer(float(when), "c", "sales")
        agent.miss(when + 0.5, 0)
    assert (agent.state, agent.consecutive_misses) == (S.READY, 10)
