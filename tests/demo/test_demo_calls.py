"""The demo call generator: deterministic, facts equal to a replay of the log, one outcome per call, orders
linked to answered calls of their airing, agents' states in time order."""

from __future__ import annotations

import dataclasses
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict

from hotline.calls.kpi import load_calls
from hotline.calls.models import AgentStateEvent, Callback, CallEvent, CallRecord, Kind, Outcome
from hotline.calls.timeline import outcome
from hotline.demo.loader import erase_all_data, load_demo
from hotline.lib.phones import normalize_phone
from hotline.orders.models import Order
from hotline.reports.facts import _captured, _stations, _Thresholds, build_facts, rebuild_facts
from hotline.reports.models import CallFact, HandlingFact, VisitFact
from tests.demo.conftest import SMALL

CALLS = dataclasses.replace(SMALL, calls=1_500)


def _facts() -> dict[str, list[dict[str, object]]]:
    """Every fact row as a dict without its id, by model name, in a stable order."""
    found = {}
    for model in (CallFact, VisitFact, HandlingFact):
        rows = [model_to_dict(row, exclude=["id"]) for row in model.objects.order_by("call_id", "id")]
        found[model.__name__] = sorted(rows, key=lambda row: (row["call_id"], row.get("seq", 0)))
    return found


@pytest.fixture
def calls(db):  # type: ignore[no-untyped-def]
    return load_demo(CALLS)


def test_the_load_writes_every_table_of_the_log(calls):
    counts = calls.counts
    assert counts["call_records"] == CallRecord.objects.count() == CallFact.objects.count() > 1_000
    assert counts["call_events"] == CallEvent.objects.count()
    assert counts["agent_states"] == AgentStateEvent.objects.count() > 0
    assert counts["callbacks"] == Callback.objects.count() > 0
    assert CallFact.objects.exclude(outcome="").count() == CallFact.objects.count()
    # Every outcome the issue names is represented.
    seen = set(CallFact.objects.values_list("outcome", flat=True))
    assert {Outcome.ANSWERED, Outcome.ABANDONED_IN_QUEUE, Outcome.SHORT_ABANDON, Outcome.CALLBACK,
            Outcome.ABANDONED_IN_IVR} <= seen


def _log() -> list[tuple[object, ...]]:
    return list(CallEvent.objects.order_by("call_id", "seq").values_list("call_id", "seq", "kind", "at", "agent_key"))


def test_the_same_seed_gives_the_same_calls(transactional_db):
    # transactional_db: erasing is a flush, which PostgreSQL refuses inside a test's open transaction. Erased
    # first too, so both loads start from reset sequences (ids are part of the facts compared).
    erase_all_data()
    load_demo(CALLS)
    first = (_log(), _facts())
    erase_all_data()
    load_demo(CALLS)
    assert (_log(), _facts()) == first


def test_the_facts_written_equal_a_replay_of_the_log(calls):
    written = _facts()

    rebuild_facts()  # every call's facts from its events, through hotline.reports.facts

    assert _facts() == written


def test_a_sample_replayed_through_build_facts(calls):
    ids = list(CallRecord.objects.order_by("call_id").values_list("call_id", flat=True)[::50])
    steps = load_calls(ids)
    thresholds, station_of, captured = _Thresholds(), _stations(steps.values()), _captured(ids)
    for call_id in ids:
        record = CallRecord.objects.get(call_id=call_id)
        fact, visits, parts = build_facts(steps[call_id], thresholds, station_of, captured, record.caller)
        stored = CallFact.objects.get(call_id=call_id)
        assert model_to_dict(fact, exclude=["id"]) == model_to_dict(stored, exclude=["id"])
        assert [model_to_dict(v, exclude=["id"]) for v in visits] == \
            [model_to_dict(v, exclude=["id"]) for v in VisitFact.objects.filter(call_id=call_id).order_by("seq")]
        assert [model_to_dict(h, exclude=["id"]) for h in parts] == \
            [model_to_dict(h, exclude=["id"]) for h in HandlingFact.objects.filter(call_id=call_id).order_by("seq")]


def test_every_call_has_one_outcome_and_its_record_agrees(calls):
    records = {r.call_id: r for r in CallRecord.objects.all()}
    for call_id, steps in load_calls(list(records)[::10]).items():
        record = records[call_id]
        assert steps[0].kind == Kind.ARRIVE and [s.seq for s in steps] == list(range(1, len(steps) + 1))
        assert outcome(steps, 5) == record.outcome != ""
        assert normalize_phone(record.caller) == record.caller
    assert Counter(CallFact.objects.values_list("outcome", flat=True)) == \
        Counter(CallRecord.objects.values_list("outcome", flat=True))


def test_orders_are_linked_to_answered_calls_of_their_airing(calls):
    linked = list(Order.objects.exclude(call_id="").values_list("call_id", "airing_id"))
    assert len(linked) == calls.counts["orders_with_call"] > 0
    assert len({call_id for call_id, _airing in linked}) == len(linked)  # one order per call
    facts = dict(CallFact.objects.filter(call_id__in=[c for c, _a in linked]).values_list("call_id", "airing_id"))
    answered = set(CallFact.objects.filter(outcome=Outcome.ANSWERED).values_list("call_id", flat=True))
    assert all(facts[call_id] == airing and call_id in answered for call_id, airing in linked)


def test_agent_states_run_forward_and_match_the_calls(calls):
    last: dict[str, object] = {}
    for agent, at in AgentStateEvent.objects.order_by("id").values_list("agent_key", "at"):
        assert last.get(agent) is None or last[agent] <= at
        last[agent] = at
    on_call = AgentStateEvent.objects.filter(state="on_call").count()
    assert on_call == CallEvent.objects.filter(kind=Kind.ANSWER).count() == \
        CallFact.objects.filter(outcome=Outcome.ANSWERED).count()


def test_callbacks_belong_to_their_calls(calls):
    facts = dict(CallFact.objects.filter(outcome=Outcome.CALLBACK).values_list("call_id", "callback_id"))
    assert dict(Callback.objects.values_list("call_id", "id")) == facts


def test_loaddemo_calls_option(db):
    out = StringIO()
    call_command("loaddemo", customers=30, orders=40, calls=200, seed=3, now="2026-11-24T20:00", stdout=out)
    assert "200 calls" in out.getvalue()
    assert 0 < CallRecord.objects.count() <= 200


def test_rebuildfacts_command(calls):
    out = StringIO()
    call_command("rebuildfacts", stdout=out)
    assert f"Rebuilt the facts of {CallRecord.objects.count():,} calls" in out.getvalue()
