"""`hotline simulate airing` against the demo as `hotline demo` runs it: the web app and the engine live in one
process (here: this test's, on free ports), the demo's agents all signed out. The simulator is a client of
both, as from another process: SIP to the engine, the REST API to sign in the agents of the phones it
registers (and out again at the end)."""

from __future__ import annotations

import datetime
import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from hotline.accounts.models import ApiToken, AuditEntry
from hotline.calls.models import Callback, CallEvent, CallRecord, Seat
from hotline.demo.loader import DemoOptions, load_demo
from tests import livetest

pytestmark = pytest.mark.django_db(transaction=True)

SMALL_DEMO = DemoOptions(customers=60, orders=30, seed=5, batch_size=60,
                         now=datetime.datetime(2026, 11, 24, 20, 0, tzinfo=datetime.UTC))
PHONES = ["8001", "8002", "8003"]  # agent1…agent3's seats; agent4…agent10 keep no phone and stay signed out
SIGNED_IN = {"agent1", "agent2", "agent3"}


def test_a_simulated_airing_signs_in_the_agents_of_its_phones_who_take_the_calls_then_signs_them_out() -> None:
    load_demo(SMALL_DEMO)
    assert not Seat.objects.filter(agent__isnull=False).exists()  # the demo starts everyone signed out
    out, err = StringIO(), StringIO()
    with livetest.serving() as web, livetest.engine_running() as embedded:
        assert embedded.engine is not None
        host, port = embedded.engine.sip_address
        call_command("simulate", "airing", "--engine", f"{host}:{port}", "--web", web, "--agents", "3", "--cps", "2",
                     "--duration", "4", "--ring", "0.2-0.4", "--talk", "1-2", "--patience", "60", "--seed", "3",
                     "--json", stdout=out, stderr=err)
        embedded.stop()  # the call log flushed
    summary = json.loads(out.getvalue())
    assert summary["placed"] == 8 and sum(summary["outcomes"].values()) == 8
    outcomes = {name: count for name, count in summary["outcomes"].items() if count}
    assert outcomes["answered"] > 0
    assert set(outcomes) <= {"answered", "callback", "self_service"}, summary  # the rest: the engine's surge gate
    assert summary["registration_failures"] == {} and set(summary["per_agent"]) == set(PHONES)
    assert (f"Signed in at their seats, ready, through {web}/api/engine/: agent1 at A-01 (8001), "
            "agent2 at A-02 (8002), agent3 at A-03 (8003)") in err.getvalue()

    assert sorted(Counter(CallRecord.objects.values_list("call_id", flat=True)).values()) == [1] * 8
    assert CallRecord.objects.filter(outcome="").count() == 0  # every call has its one outcome
    engine_says = Counter(CallRecord.objects.values_list("outcome", flat=True))
    assert (engine_says["answered"], engine_says["callback"]) == (outcomes["answered"], outcomes.get("callback", 0))
    offered = set(CallEvent.objects.filter(kind="offer").values_list("agent_key", flat=True))
    assert offered and offered <= SIGNED_IN  # no offer to an agent without a registered phone
    # The demo's number skips its menu during the airing: callers put through press no key, so none of them asks
    # for a callback with the queue's key by mistake (every callback is the surge gate's).
    assert not Callback.objects.filter(reason="requested").exists()

    # Back as they were: nobody signed in, the run's tokens deleted (issued and deleted through the audit log).
    assert not Seat.objects.filter(agent__isnull=False).exists()
    assert not ApiToken.objects.exists()
    assert Counter(AuditEntry.objects.filter(object_type="accounts.apitoken").values_list("action", flat=True)) == {
        "create_api_token": 3, "delete": 3}
