"""`hotline bench pop`: the pure parts (pairing, figures, the section, the options); no browser, no timing."""

from __future__ import annotations

import argparse

import pytest

from hotline.bench.management.commands.bench import BENCHMARKS
from hotline.bench.pop import (
    PopBenchmark,
    Sample,
    landline_first,
    order_figures,
    pop_latencies,
    render_section,
    segment_figures,
    summarize_samples,
)
from hotline.bench.targets import BenchError

MACHINE = {"cpu": "AMD EPYC", "cores": "2", "ram": "23.4 GiB", "os": "Debian 12, Linux 6.1", "python": "3.11.2",
           "django": "5.2.8", "sqlite": "3.40.1", "postgresql": "15.20", "date": "2026-11-25"}


def sample(call_id: str, sent: float, at_phone: float | None, rendered: float | None, *,
           pop_call_id: str | None = None, invites: int = 1, pops: int = 1) -> Sample:
    return Sample(call_id=call_id, number="13800138000", sent=sent, at_phone=at_phone, rendered=rendered,
                  pop_call_id=call_id if pop_call_id is None else pop_call_id, invites=invites, pops=pops)


def test_latencies_pair_each_pop_with_its_own_call_only():
    # given a good call, a pop naming another call, a call without pop and one whose INVITE never came
    samples = [sample("a", 10.0, 10.5, 10.625), sample("b", 20.0, 20.5, 20.75, pop_call_id="other"),
               sample("c", 30.0, 30.5, None), sample("d", 40.0, None, 40.25)]

    # when the latencies are taken from the phone and from the caller
    from_phone = pop_latencies(samples, "at_phone")
    from_caller = pop_latencies(samples, "sent")

    # then only the calls with both ends and their own pop count
    assert from_phone == [0.125]
    assert from_caller == [0.625, 0.25]


def test_summary_counts_what_was_left_out_and_the_percentiles():
    # given four good calls (one whose pop came before the INVITE), and three bad ones
    samples = [sample("a", 0.0, 1.0, 1.125), sample("b", 2.0, 3.0, 3.0625), sample("c", 4.0, 5.0, 5.25),
               sample("d", 6.0, 7.0, 6.9375, invites=2), sample("e", 8.0, 9.0, None),
               sample("f", 10.0, 11.0, 11.5, pop_call_id="x", pops=3), sample("g", 12.0, None, 12.5)]

    # when summarised
    figures = summarize_samples(samples)

    # then
    assert {key: value for key, value in figures.items() if key not in ("phone_to_pop", "sent_to_pop", "segments")} \
        == {"calls": 7, "matched": 5, "without_pop": 1, "without_invite": 1, "wrong_call_id": 1, "extra_invites": 1,
            "extra_pops": 2, "pop_before_invite": 1}
    phone = figures["phone_to_pop"]
    assert (phone["count"], phone["p50_ms"], phone["p90_ms"], phone["p99_ms"], phone["max_ms"]) \
        == (4, 62.5, 250.0, 250.0, 250.0)
    assert phone["mean_ms"] == 93.75
    sent = figures["sent_to_pop"]
    assert (sent["count"], sent["p50_ms"], sent["max_ms"]) == (5, 1062.5, 1250.0)


def test_summary_of_no_pops_has_no_latencies():
    figures = summarize_samples([sample("a", 0.0, 1.0, None)])

    assert (figures["phone_to_pop"], figures["sent_to_pop"], figures["segments"]) == (None, None, [])


def test_segments_split_the_path_where_both_ends_were_seen():
    # given one call seen at every step, and one whose socket messages were not seen
    full = sample("a", 0.0, 1.0078125, 1.25)
    full.offered, full.ws_ringing, full.ws_pop = 1.0, 1.015625, 1.125
    partial = sample("b", 2.0, 3.0, 3.5)

    # when the segments are figured
    segments = segment_figures([full, partial])

    # then each segment has the one call that saw both ends, in ms
    assert [(s["segment"], s["count"], s["p50_ms"], s["max_ms"]) for s in segments] == [
        ("offer → INVITE at the phone", 1, 7.8125, 7.8125),
        ("offer → desk socket got the state change", 1, 15.625, 15.625),
        ("offer → desk socket got the pop", 1, 125.0, 125.0),
        ("state change → pop at the desk socket (pop built in the web process)", 1, 109.375, 109.375),
        ("desk socket got the pop → pop rendered", 1, 125.0, 125.0),
    ]


@pytest.mark.parametrize(("numbers", "expected"), [
    (["13800138000", "073188123456", "15912345678"], ["073188123456", "13800138000", "15912345678"]),
    (["13800138000", "15912345678"], ["13800138000", "15912345678"]),
    ([], []),
])
def test_a_landline_goes_first_so_the_warm_up_loads_the_region_tables(numbers, expected):
    assert landline_first(numbers) == expected


def result(phone_samples: list[Sample]) -> dict:
    return {"customers": 1_000_000, "phones": 1_200_857, "database_version": "15.20", "warmup": 10,
            "figures": summarize_samples(phone_samples),
            "pop_build": {"render_pop": {"p50_ms": 4.25, "p99_ms": 9.5, "max_ms": 12.0},
                          "context": {"p50_ms": 3.5, "p99_ms": 8.0}, "queries_min": 12, "queries_max": 14}}


def test_the_section_shows_the_figures_and_the_goal_met():
    samples = [sample("a", 0.0, 1.0, 1.0625), sample("b", 2.0, 3.0, 3.125)]

    section = render_section(result(samples), MACHINE, {"customers": 1_000_000, "calls": 300})

    assert section.startswith("## Screen pop: INVITE at the agent's phone → pop rendered in the browser")
    assert "`hotline bench pop --customers 1000000 --calls 300`" in section
    assert "holding 1,000,000 customers (1,200,857 phone numbers" in section
    assert "| INVITE at the agent's phone → pop rendered | 2 | 62 ms | 125 ms | 125 ms | 125 ms | 94 ms |" in section
    assert "| caller's INVITE sent → pop rendered | 2 | 1062 ms | 1125 ms | 1125 ms | 1125 ms | 1094 ms |" in section
    assert "Goal p99 < 150 ms: **met** (p99 125 ms)." in section
    assert "p50 4.2 ms, p99 9.5 ms, max 12 ms; of which the context (the queries) p50 3.5 ms, p99 8.0 ms; " \
           "12–14 queries per pop." in section
    assert "Left out of the figures" not in section
    assert "Machine: AMD EPYC, 2 cores" in section


def test_the_section_says_when_the_goal_is_missed_and_what_was_left_out():
    samples = [sample("a", 0.0, 1.0, 1.25), sample("b", 2.0, 3.0, 2.9375), sample("c", 4.0, 5.0, None)]

    section = render_section(result(samples), MACHINE, {"customers": 2000, "calls": 3})

    assert "Goal p99 < 150 ms: **missed** (p99 250 ms)." in section
    assert "In 1 calls the pop was rendered before the INVITE reached the phone" in section
    assert "Left out of the figures: 1 calls without a pop." in section


def parser() -> argparse.ArgumentParser:
    built = argparse.ArgumentParser()
    PopBenchmark().add_arguments(built)
    return built


def test_the_options_default_to_a_million_customers_and_300_calls():
    options = vars(parser().parse_args([]))

    assert {key: options[key] for key in ("customers", "calls", "warmup", "postgres_url", "redis_url", "chromium",
                                          "seed", "keep_logs", "no_write", "json", "worker")} == {
        "customers": 1_000_000, "calls": 300, "warmup": 10,
        "postgres_url": "postgres://postgres@127.0.0.1:5432/hotline_pop", "redis_url": "redis://127.0.0.1:6379/9",
        "chromium": "/usr/bin/chromium", "seed": 1, "keep_logs": None, "no_write": None, "json": False,
        "worker": False}


def test_the_worker_gets_the_options_it_needs():
    options = vars(parser().parse_args(["--customers", "2000", "--calls", "20", "--warmup", "3",
                                        "--redis-url", "redis://127.0.0.1:6379/8", "--keep-logs", "/tmp/logs"]))

    assert PopBenchmark.worker_argv(options) == [
        "bench", "pop", "--customers", "2000", "--calls", "20", "--warmup", "3", "--orders", "20", "--redis-url",
        "redis://127.0.0.1:6379/8", "--chromium", "/usr/bin/chromium", "--seed", "1", "--keep-logs", "/tmp/logs"]


@pytest.mark.parametrize("argv", [["--calls", "0"], ["--customers", "0"], ["--warmup", "-1"], ["--orders", "-1"]])
def test_impossible_sizes_are_refused(argv):
    with pytest.raises(BenchError):
        PopBenchmark().check(vars(parser().parse_args(argv)))


def test_the_benchmark_is_a_bench_sub_command():
    assert isinstance(BENCHMARKS["pop"], PopBenchmark)


def test_orders_keyed_in_are_reported_with_their_keys_and_seconds_against_the_goal():
    orders = [{"keys": 6, "seconds": 1.5}, {"keys": 6, "seconds": 2.5}]
    with_orders = {**result([sample("a", 0.0, 1.0, 1.0625)]), "order_entry": order_figures(orders)}

    section = render_section(with_orders, MACHINE, {"customers": 2000, "calls": 1})

    assert order_figures([]) is None
    assert "### Order entry by keyboard" in section
    assert "| 2 | 6 | 1.50 s | 2.50 s | 2.50 s |" in section
    assert "Goal under 60 s and at most 25 keys: **met**." in section


def test_an_order_over_25_keys_misses_the_goal():
    entry = order_figures([{"keys": 26, "seconds": 3.0}, {"keys": 7, "seconds": 2.0}])

    section = render_section({**result([sample("a", 0.0, 1.0, 1.0625)]), "order_entry": entry}, MACHINE,
                             {"customers": 2000, "calls": 1})

    assert "| 2 | 7–26 |" in section
    assert "Goal under 60 s and at most 25 keys: **missed**." in section
