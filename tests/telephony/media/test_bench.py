"""The media benchmarks still run end to end (smoke tests of the harnesses; their figures are not asserted)."""

from __future__ import annotations

from hotline.telephony.media.bench import recording_stop_benchmark, relay_benchmark


def test_relay_benchmark_relays_every_packet_of_a_tiny_run() -> None:
    result = relay_benchmark(calls=2, seconds=0.2, record=True)
    assert (result["packets_sent"], result["packets_relayed"], result["loss"]) == (40.0, 40.0, 0.0)
    assert set(result) >= {"delay_p50_ms", "delay_p99_ms", "plane_cpu_percent", "close_and_write_seconds"}


def test_recording_stop_benchmark_writes_the_whole_call() -> None:
    result = recording_stop_benchmark(seconds=5)
    assert (result["seconds"], result["frames"]) == (5.0, 40000.0)
    assert set(result) >= {"stop_max_loop_stall_ms", "stop_to_written_ms"}
