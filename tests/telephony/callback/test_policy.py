"""The callback policy on a manual clock: de-duplication, decay, pacing, retries, expiry, calling window."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from hotline.telephony.acd import ManualClock
from hotline.telephony.callback import (
    CallbackBook,
    CallbackSettings,
    DialResult,
    EventKind,
    Hold,
    IllegalCallbackMove,
    Status,
    decayed_priority,
)

# Monotonic 0 is 10:00 local, well inside the default 08:00-21:00 window.
LOCAL_ZERO = datetime(2026, 11, 25, 10, 0, 0)
HOTLINE = "4008001000"


def build(settings: CallbackSettings | None = None) -> tuple[CallbackBook, ManualClock]:
    """A book at monotonic 0 = 10:00 local; local time moves with the manual clock."""
    clock = ManualClock()
    book = CallbackBook(clock, lambda: LOCAL_ZERO + timedelta(seconds=clock.now()), settings)
    return book, clock


def capture(book: CallbackBook, number: str, arrived: float, *, base: float | None = None) -> int:
    return book.capture(number, HOTLINE, 7, arrived, "surge", base_priority=base).callback_id


def idle(book: CallbackBook, airings: tuple[float, ...] = ()) -> tuple[int | None, Hold | None]:
    """next_due with two ready agents and nobody waiting, as (callback id, hold)."""
    decision = book.next_due(ready_agents=2, live_callers_waiting=0, upcoming_airings=airings)
    return (decision.callback.callback_id if decision.callback else None), decision.hold


def kinds(book: CallbackBook) -> list[EventKind]:
    return [event.kind for event in book.take_events()]


# --- de-duplication and cancel ------------------------------------------------------------------


def test_five_captures_of_one_number_keep_one_callback_with_the_earliest_arrival() -> None:
    book, clock = build()
    arrivals = [50.0, 40.0, 70.0, 30.0, 90.0]
    ids = set()
    for second, arrived in enumerate(arrivals):
        clock.set(100.0 + second)
        ids.add(capture(book, "13800000001", arrived))
    assert len(ids) == 1
    [callback] = book.pending()
    assert (callback.arrived_at, callback.reach_attempts, callback.captured_at) == (30.0, 5, 100.0)
    assert kinds(book) == [EventKind.CAPTURED] + [EventKind.DEDUPLICATED] * 4


def test_different_numbers_get_their_own_callbacks() -> None:
    book, _clock = build()
    assert capture(book, "1", 0.0) != capture(book, "2", 0.0)
    assert len(book.pending()) == 2


def test_reaching_an_agent_cancels_the_pending_callback_and_a_later_surge_captures_anew() -> None:
    book, clock = build()
    first = capture(book, "13800000001", 0.0)
    event = book.cancel_for("13800000001")
    assert event is not None and (event.kind, event.callback_id) == (EventKind.CANCELLED, first)
    assert book.get(first).status is Status.CANCELLED
    assert book.pending() == []
    assert book.cancel_for("13800000001") is None
    clock.set(10.0)
    assert capture(book, "13800000001", 10.0) != first


def test_cancel_leaves_a_dial_under_way_alone() -> None:
    book, _clock = build()
    callback_id = capture(book, "1", 0.0)
    book.dialled(callback_id)
    assert book.cancel_for("1") is None
    assert book.get(callback_id).status is Status.DIALLING


# --- priority decay -----------------------------------------------------------------------------


def test_priority_halves_every_half_life() -> None:
    assert decayed_priority(100.0, 0.0, 1800.0) == 100.0
    assert decayed_priority(100.0, 1800.0, 1800.0) == 50.0
    assert decayed_priority(100.0, 5400.0, 1800.0) == 12.5
    assert decayed_priority(100.0, -60.0, 1800.0) == 100.0


def test_a_newer_callback_beats_an_older_one_whose_higher_base_has_decayed_more() -> None:
    # given an old callback (base 150, arrived at 0) and a newer one (base 100, arrived at 1800)
    book, clock = build(CallbackSettings(half_life_seconds=1800.0))
    old = capture(book, "old", 0.0, base=150.0)
    clock.set(1800.0)
    new = capture(book, "new", 1800.0, base=100.0)
    # when at 3600 the old one has decayed two half-lives, the new one one
    clock.set(3600.0)
    assert book.priority(book.get(old)) == 37.5
    assert book.priority(book.get(new)) == 50.0
    # then the newer one is dialled first
    assert [c.callback_id for c in book.pending()] == [new, old]
    assert idle(book) == (new, None)


def test_a_high_enough_base_outweighs_the_decay_and_ties_go_to_the_earlier_arrival() -> None:
    book, clock = build(CallbackSettings(half_life_seconds=1800.0))
    old = capture(book, "old", 0.0, base=300.0)
    clock.set(1800.0)
    new = capture(book, "new", 1800.0, base=100.0)
    # captured after "new" but keeping an arrival at 0 (a waiting caller who pressed 1)
    tie = capture(book, "tie", 0.0, base=200.0)
    clock.set(3600.0)
    # 300 × 0.25 = 75 beats 100 × 0.5 = 50; 200 × 0.25 = 50 ties with 50 and arrived earlier
    assert [book.priority(c) for c in book.pending()] == [75.0, 50.0, 50.0]
    assert [c.callback_id for c in book.pending()] == [old, tie, new]


def test_callers_of_one_airing_cool_down_together_and_keep_their_arrival_order() -> None:
    # given an airing at 0 whose callers arrived at 60 and 600, and a later airing at 1800 with a caller at 1900
    book, clock = build(CallbackSettings(half_life_seconds=1800.0))
    first = book.capture("a", HOTLINE, 7, 60.0, "surge", aired_at_mono=0.0).callback_id
    second = book.capture("b", HOTLINE, 7, 600.0, "surge", aired_at_mono=0.0).callback_id
    later = book.capture("c", HOTLINE, 8, 1900.0, "surge", aired_at_mono=1800.0).callback_id
    clock.set(3600.0)
    # then both callers of the first airing are at 100 × 0.25 and go first-come first-served,
    # while the fresher airing's caller (100 × 0.5) comes before them
    assert [book.priority(c) for c in book.pending()] == [50.0, 25.0, 25.0]
    assert [c.callback_id for c in book.pending()] == [later, first, second]


# --- when the dialer may dial -------------------------------------------------------------------


def test_nothing_due_when_the_book_is_empty() -> None:
    book, _clock = build()
    assert idle(book) == (None, Hold.NOTHING_DUE)


def test_live_callers_always_come_before_callbacks() -> None:
    book, _clock = build()
    capture(book, "1", 0.0)
    decision = book.next_due(ready_agents=5, live_callers_waiting=1)
    assert (decision.callback, decision.hold) == (None, Hold.LIVE_CALLERS_WAITING)


def test_the_dialer_needs_an_idle_agent() -> None:
    book, _clock = build(CallbackSettings(min_ready_agents=2))
    callback_id = capture(book, "1", 0.0)
    assert book.next_due(ready_agents=0, live_callers_waiting=0).hold is Hold.NO_READY_AGENT
    assert book.next_due(ready_agents=1, live_callers_waiting=0).hold is Hold.NO_READY_AGENT
    decision = book.next_due(ready_agents=2, live_callers_waiting=0)
    assert decision.callback is not None and decision.callback.callback_id == callback_id


def test_at_most_max_in_flight_dials_at_once() -> None:
    book, _clock = build(CallbackSettings(max_in_flight=2))
    ids = [capture(book, str(n), float(n)) for n in range(3)]
    book.dialled(ids[0])
    book.dialled(ids[1])
    assert idle(book) == (None, Hold.IN_FLIGHT_LIMIT)
    book.outcome(ids[0], DialResult.ANSWERED)
    assert idle(book) == (ids[2], None)


def test_at_most_max_dials_per_minute() -> None:
    # given three dials at 0, 10 and 20 s, all answered (nothing in flight)
    book, clock = build(CallbackSettings(max_dials_per_minute=3, max_in_flight=5))
    ids = [capture(book, str(n), 0.0) for n in range(4)]
    for second, callback_id in zip((0.0, 10.0, 20.0), ids, strict=False):
        clock.set(second)
        book.dialled(callback_id)
        book.outcome(callback_id, DialResult.ANSWERED)
    # then a fourth may not be dialled until the first dial is a full minute old
    clock.set(59.999)
    assert idle(book) == (None, Hold.RATE_LIMIT)
    clock.set(60.0)
    assert idle(book) == (ids[3], None)


def test_no_new_dials_in_the_quiet_minutes_before_an_airing() -> None:
    book, clock = build(CallbackSettings(quiet_before_airing_seconds=300.0))
    callback_id = capture(book, "1", 0.0)
    airings = (1000.0, 5000.0)
    clock.set(699.0)
    assert idle(book, airings) == (callback_id, None)
    clock.set(700.0)
    assert idle(book, airings) == (None, Hold.QUIET_BEFORE_AIRING)
    clock.set(999.0)
    assert idle(book, airings) == (None, Hold.QUIET_BEFORE_AIRING)
    # once the airing has started, idle agents mean the peak is over (surges hold the dialer anyway)
    clock.set(1000.0)
    assert idle(book, airings) == (callback_id, None)


@pytest.mark.parametrize(
    ("local", "allowed"),
    [(time(7, 59), False), (time(8, 0), True), (time(20, 59), True), (time(21, 0), False)],
)
def test_calling_window(local: time, allowed: bool) -> None:
    # given an expiry beyond the night, so the window is the only rule in play
    settings = CallbackSettings(window_start=time(8, 0), window_end=time(21, 0), expiry_seconds=2 * 86400.0)
    book, clock = build(settings)
    # monotonic 0 is 10:00, so move the clock to the wanted local time of the next day at the latest
    target = datetime.combine(LOCAL_ZERO.date(), local)
    if target < LOCAL_ZERO:
        target += timedelta(days=1)
    seconds = (target - LOCAL_ZERO).total_seconds()
    callback_id = capture(book, "1", 0.0)
    clock.set(seconds)
    assert idle(book) == ((callback_id, None) if allowed else (None, Hold.OUTSIDE_CALLING_WINDOW))


# --- attempts, retries, expiry ------------------------------------------------------------------


def test_no_answer_and_busy_retry_after_the_minimum_interval_then_give_up() -> None:
    book, clock = build(CallbackSettings(max_attempts=3, retry_interval_seconds=600.0))
    callback_id = capture(book, "1", 0.0)
    book.dialled(callback_id)
    clock.set(30.0)
    event = book.outcome(callback_id, DialResult.NO_ANSWER)
    assert (event.kind, book.get(callback_id).not_before) == (EventKind.RETRY_SCHEDULED, 630.0)
    clock.set(629.0)
    assert idle(book) == (None, Hold.NOTHING_DUE)
    with pytest.raises(IllegalCallbackMove):
        book.dialled(callback_id)
    clock.set(630.0)
    assert idle(book) == (callback_id, None)
    book.dialled(callback_id)
    clock.set(640.0)
    assert book.outcome(callback_id, DialResult.BUSY).kind is EventKind.RETRY_SCHEDULED
    clock.set(1240.0)
    book.dialled(callback_id)
    # the third (last) attempt also fails: the book gives up
    assert book.outcome(callback_id, DialResult.NO_ANSWER).kind is EventKind.GAVE_UP
    callback = book.get(callback_id)
    assert (callback.status, callback.dial_attempts, callback.last_result) == (Status.GAVE_UP, 3, DialResult.NO_ANSWER)
    assert idle(book) == (None, Hold.NOTHING_DUE)
    assert kinds(book) == [EventKind.CAPTURED, EventKind.DIALLED, EventKind.RETRY_SCHEDULED, EventKind.DIALLED,
                           EventKind.RETRY_SCHEDULED, EventKind.DIALLED, EventKind.GAVE_UP]


def test_answered_closes_the_callback_and_failed_gives_up_at_once() -> None:
    book, _clock = build()
    answered, failed = capture(book, "1", 0.0), capture(book, "2", 0.0)
    for callback_id in (answered, failed):
        book.dialled(callback_id)
    assert book.outcome(answered, DialResult.ANSWERED).kind is EventKind.ANSWERED
    assert book.outcome(failed, DialResult.FAILED).kind is EventKind.GAVE_UP
    assert (book.get(answered).status, book.get(failed).status) == (Status.ANSWERED, Status.GAVE_UP)


def test_a_result_for_a_callback_not_dialling_is_refused_and_changes_nothing() -> None:
    book, _clock = build()
    callback_id = capture(book, "1", 0.0)
    with pytest.raises(IllegalCallbackMove):
        book.outcome(callback_id, DialResult.ANSWERED)
    with pytest.raises(IllegalCallbackMove):
        book.dialled(999)
    assert (book.get(callback_id).status, book.get(callback_id).dial_attempts) == (Status.PENDING, 0)


def test_a_callback_expires_hours_after_capture() -> None:
    book, clock = build(CallbackSettings(expiry_seconds=4 * 3600.0))
    clock.set(100.0)
    callback_id = capture(book, "1", 0.0)
    book.take_events()
    clock.set(100.0 + 4 * 3600.0 - 1)
    assert idle(book) == (callback_id, None)
    clock.set(100.0 + 4 * 3600.0)
    assert idle(book) == (None, Hold.NOTHING_DUE)
    assert book.get(callback_id).status is Status.EXPIRED
    assert kinds(book) == [EventKind.EXPIRED]
    # the number is free again: a new call captures a new callback
    assert capture(book, "1", clock.now()) != callback_id


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="calling window"):
        CallbackSettings(window_start=time(21, 0), window_end=time(8, 0))
    with pytest.raises(ValueError, match="at least 1"):
        CallbackSettings(max_attempts=0)
    with pytest.raises(ValueError, match="positive"):
        CallbackSettings(half_life_seconds=0.0)


# --- held by the dial policy --------------------------------------------------------------------


def test_a_callback_the_dial_policy_refuses_is_held_for_good_and_the_number_may_be_captured_anew() -> None:
    book, clock = build()
    held = capture(book, "13800000001", 0.0)
    other = capture(book, "13800000002", 1.0)
    book.take_events()
    clock.set(5.0)
    event = book.hold(held, "number_limit")
    assert (event.kind, event.detail, event.at) == (EventKind.NOT_DIALLED, "number_limit", 5.0)
    assert book.get(held).status is Status.HELD and book.live_for("13800000001") is None
    assert idle(book) == (other, None)  # never offered to the dialer again
    book.reserve(other)
    book.hold(other, "prefix_limit")  # refused once its agent answered: held too
    assert book.get(other).status is Status.HELD
    with pytest.raises(IllegalCallbackMove):
        book.hold(held, "number_limit")  # final: nothing to hold
    assert capture(book, "13800000001", 6.0) not in (held, other)  # a new call is a new callback
