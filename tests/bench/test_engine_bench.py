"""`hotline bench engine`: SIPp's output is parsed exactly, figures are summarised and rendered, options are
checked, and tiny runs of each part against a real engine process count every call and packet."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from hotline.bench.engine import render_section, verdicts
from hotline.bench.engine.bridged import bridged_calls, summarize_bridged
from hotline.bench.engine.phones import PhaseCount, agent_of
from hotline.bench.engine.process import parse_proc_stat
from hotline.bench.engine.routing import agent_to_routing
from hotline.bench.engine.setup import call_setup, parse_message_log, parse_stat_counts, summarize_setup

MACHINE = {"cpu": "Test CPU", "cores": "2", "ram": "1.0 GiB", "os": "Debian", "python": "3.11.7",
           "django": "5.2", "sqlite": "3.40.1", "date": "2026-11-25", "load": ""}
RULE = "-" * 47


def message(at: str, direction: str, start_line: str, call_id: str, cseq: str) -> str:
    """One entry of SIPp's -trace_msg log, as SIPp 3.6 writes it."""
    verb = "UDP message sent (300 bytes):" if direction == "sent" else "UDP message received [300] bytes :"
    return (f"{RULE} 2026-11-25 {at}\n{verb}\n\n{start_line}\nVia: SIP/2.0/UDP 127.0.0.1:5060\n"
            f"Call-ID: {call_id}\nCSeq: {cseq}\nContent-Length: 0\n\n")


def test_setup_times_run_from_the_first_invite_to_the_first_200_for_it() -> None:
    # given a log where call 1 retransmits its INVITE, gets 100, 200 twice, then its BYE gets a 200,
    # and call 2's INVITE is never answered
    log = "".join([
        message("10:00:00.100000", "sent", "INVITE sip:4008001000@127.0.0.1 SIP/2.0", "1-7@h", "1 INVITE"),
        message("10:00:00.100500", "sent", "INVITE sip:4008001000@127.0.0.1 SIP/2.0", "2-7@h", "1 INVITE"),
        message("10:00:00.101000", "received", "SIP/2.0 100 Trying", "1-7@h", "1 INVITE"),
        message("10:00:00.600000", "sent", "INVITE sip:4008001000@127.0.0.1 SIP/2.0", "1-7@h", "1 INVITE"),
        message("10:00:00.602250", "received", "SIP/2.0 200 OK", "1-7@h", "1 INVITE"),
        message("10:00:00.700000", "received", "SIP/2.0 200 OK", "1-7@h", "1 INVITE"),
        message("10:00:01.000000", "received", "SIP/2.0 200 OK", "2-7@h", "2 BYE"),
    ])
    # when it is parsed
    times = parse_message_log(log)
    # then call 1 took 502.25 ms and call 2 counts as unanswered
    assert [round(seconds * 1e6) for seconds in times.setup_seconds] == [502250]
    assert times.unanswered == 1


def test_sipp_statistics_give_the_cumulative_counts_of_the_last_line() -> None:
    csv = ("StartTime;TotalCallCreated;SuccessfulCall(P);SuccessfulCall(C);FailedCall(P);FailedCall(C);\n"
           "t0;3;1;1;0;0;\n"
           "t1;10;2;8;1;2;\n")
    assert parse_stat_counts(csv) == {"successful": 8, "failed": 2, "created": 10}
    with pytest.raises(ValueError, match="SIPp wrote no statistics"):
        parse_stat_counts("StartTime;TotalCallCreated;\n")


def test_proc_stat_gives_user_and_system_seconds_even_with_a_strange_command_name() -> None:
    line = "4242 (python (engine) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 75 0 0 20 0 3 0 1000 0 0"
    assert parse_proc_stat(line, 100) == (2.5, 0.75)


def test_agent_numbers_come_from_the_request_uri() -> None:
    assert agent_of("sip:agent-17@127.0.0.1:5062") == 17
    assert agent_of("sip:agent-x@127.0.0.1") is None
    assert agent_of("sip:4008001000@127.0.0.1") is None


def test_summaries_count_failures_loss_and_cpu() -> None:
    setup = summarize_setup(50, parse_message_log(""), {"created": 500, "successful": 497, "failed": 3}, 2.5, 10.0)
    assert setup["failed"] == 3.0 and setup["calls"] == 500.0 and setup["engine_cpu_percent"] == 25.0
    window = PhaseCount(sent=1000, received=998, delays=[2_000_000] * 98 + [30_000_000, 40_000_000])
    log = {"answer": 5, "hangup": 5, "recordings": 4}
    bridged = summarize_bridged(5, 2.0, window, (0.5, 0.25), 2.0, log, 0.1)
    assert (bridged["loss"], bridged["delay_p50_ms"], bridged["delay_p99_ms"], bridged["delay_max_ms"]) == (
        2.0, 2.0, 30.0, 40.0)
    assert (bridged["engine_cpu_percent"], bridged["engine_user_percent"], bridged["engine_system_percent"]) == (
        37.5, 25.0, 12.5)
    assert (bridged["answered"], bridged["recordings"]) == (5.0, 4.0)


def _results() -> dict[str, object]:
    setup = {"rate": 100.0, "calls": 1000.0, "answered": 998.0, "successful": 998.0, "failed": 2.0,
             "setup_p50_ms": 1.234, "setup_p99_ms": 12.345, "setup_max_ms": 40.0, "engine_cpu_percent": 31.6}
    bridged = {"calls": 240.0, "seconds": 10.0, "packets_sent": 240000.0, "packets_relayed": 240000.0, "loss": 0.0,
               "delay_p50_ms": 0.812, "delay_p99_ms": 25.5, "delay_max_ms": 61.0, "engine_cpu_percent": 48.4,
               "engine_user_percent": 22.2, "engine_system_percent": 26.2, "phones_cpu_percent": 71.4,
               "answered": 240.0, "recordings": 240.0}
    routing = {"samples": 500.0, "failures": 0.0, "p50_ms": 3.21, "p90_ms": 8.0, "p99_ms": 15.0, "max_ms": 22.0,
               "engine_cpu_percent": 40.0, "hold_music": 1.0}
    silent = {**routing, "p99_ms": 25.0, "hold_music": 0.0}
    return {"setup": [setup], "bridged": [bridged], "routing": [routing, silent]}


def test_the_section_has_a_table_per_part_and_says_which_goals_were_met() -> None:
    options = {"seconds": 10.0, "agents": 240, "queues": 16, "waiting": 500}
    lines = render_section(_results(), options, MACHINE).splitlines()
    assert "| 100 | 1,000 | 998 | 2 | 1.23 ms | 12.3 ms | 40.0 ms | 32 % |" in lines
    bridged_row = ("| 240 | 10 s | 240,000 / 240,000 | 0 | 0.81 ms | 25.5 ms | 61.0 ms | 48 % (22 + 26) | 71 % "
                   "| 240 / 240 |")
    assert bridged_row in lines
    assert "| 240 | 16 | 500 | yes | 500 | 0 | 3.21 ms | 8.00 ms | 15.0 ms | 22.0 ms | 40 % |" in lines
    assert "| 240 | 16 | 500 | no | 500 | 0 | 3.21 ms | 8.00 ms | 25.0 ms | 22.0 ms | 40 % |" in lines
    assert verdicts(_results()) == [
        "Goal for 240 bridged, recorded calls (delay p99 under 20 ms, no loss): missed (p99 25.5 ms, 0 lost).",
        "Goal for agent free → INVITE (p99 under 20 ms): met.",
    ]


@pytest.mark.parametrize(("args", "message"), [
    (["--rates", "fast"], "--rates takes whole numbers separated by commas."),
    (["--calls", "0"], "--calls takes numbers between 1 and 1000."),
    (["--parts", "setup,surge"], "--parts takes some of setup, bridged, routing."),
    (["--seconds", "0.5"], "--seconds must be between 1 and 60."),
    (["--queues", "2"], "Use at least 3 queues (every agent serves three) and at least as many agents (up to 1000)."),
])
def test_bad_options_are_refused(args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("bench", "engine", "--no-write", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert str(refused.value) == message


def test_five_sipp_calls_at_five_per_second_are_all_answered() -> None:
    result = call_setup(5, 1.0, hold_ms=200)
    assert (result["calls"], result["answered"], result["successful"], result["failed"]) == (5.0, 5.0, 5.0, 0.0)
    assert 0 < result["setup_p50_ms"] <= result["setup_p99_ms"] <= result["setup_max_ms"]


def test_two_bridged_calls_relay_every_frame_and_are_recorded() -> None:
    result = bridged_calls(2, 2.0)
    # 2 calls × 2 legs × 100 frames in 2 s, every one relayed to the far phone
    assert (result["packets_sent"], result["packets_relayed"], result["loss"]) == (400.0, 400.0, 0.0)
    assert (result["answered"], result["hangups"], result["recordings"]) == (2.0, 2.0, 2.0)


def test_routing_times_every_freed_agent_and_the_command_writes_its_section(tmp_path: Path) -> None:
    # given a page with another section, when a tiny routing run is written to it
    page = tmp_path / "benchmarks.md"
    page.write_text("# Benchmarks\n\n<!-- bench:relay -->\nrelay figures\n<!-- /bench:relay -->\n")
    out = io.StringIO()
    call_command("bench", "engine", "--parts", "routing", "--agents", "3", "--queues", "3", "--waiting", "2",
                 "--samples", "4", "--output", str(page), "--json", stdout=out, stderr=io.StringIO())
    rows = json.loads(out.getvalue())["routing"]
    # then, with hold music and without, 3 agents answered at the start and once after each of the 4 samples
    assert [(row["hold_music"], row["samples"], row["failures"], row["answered"], row["offers"]) for row in rows] == [
        (1.0, 4.0, 0.0, 7.0, 7.0), (0.0, 4.0, 0.0, 7.0, 7.0)]
    text = page.read_text()
    assert text.startswith("# Benchmarks\n\n<!-- bench:relay -->\nrelay figures\n<!-- /bench:relay -->\n")
    assert "| 3 | 3 | 2 | yes | 4 | 0 |" in text and "| 3 | 3 | 2 | no | 4 | 0 |" in text
    assert text.rstrip().endswith("<!-- /bench:engine -->")


def test_a_caller_who_joins_when_nobody_waits_is_routed_to_the_freed_agent() -> None:
    result = agent_to_routing(agents=3, queues=3, waiting=0, samples=2, hold_music=False)
    assert (result["samples"], result["failures"], result["answered"], result["hold_music"]) == (2.0, 0.0, 5.0, 0.0)
