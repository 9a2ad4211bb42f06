"""The relay benchmark still runs end to end (a smoke test of the harness; its figures are not asserted)."""

from __future__ import annotations

from hotline.telephony.media.bench import relay_benchmark


def test_relay_benchmark_relays_every_packet_of_a_tiny_run() -> None:
    result = relay_benchmark(calls=2, seconds=0.2, record=True)
    assert (result["packets_sent"], result["packets_relayed"], result["loss"]) == (40.0, 40.0, 0.0)
    assert set(result) >= {"delay_p50_ms", "delay_p99_ms", "plane_cpu_percent", "close_and_write_seconds"}
