"""`hotline bench NAME …`: run one benchmark. Each benchmark is a class registered in BENCHMARKS."""

from __future__ import annotations

from typing import Any, Protocol

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.bench.lookup import LookupBenchmark, Writer
from hotline.bench.targets import BenchError


class Benchmark(Protocol):
    """What a benchmark provides: its name, a one-line help, its options, and how it runs."""

    name: str
    help: str

    def add_arguments(self, parser: Any) -> None: ...

    def handle(self, options: dict[str, Any], out: Writer, err: Writer) -> None: ...


# Later benchmarks (engine, surge, pop) are added here; each gets its own sub-command and options.
BENCHMARKS: dict[str, Benchmark] = {bench.name: bench for bench in (LookupBenchmark(),)}


class Command(BaseCommand):
    help = "Run a benchmark; it prints its figures and records them in docs/benchmarks.md."

    def add_arguments(self, parser: CommandParser) -> None:
        names = parser.add_subparsers(dest="benchmark", required=True, metavar="BENCHMARK",
                                      title="benchmarks")
        for bench in BENCHMARKS.values():
            bench.add_arguments(names.add_parser(bench.name, help=bench.help, description=bench.help))

    def handle(self, *args: Any, **options: Any) -> None:
        bench = BENCHMARKS[options["benchmark"]]
        try:
            bench.handle(options, self.stdout, self.stderr)
        except BenchError as exc:
            raise CommandError(str(exc)) from exc
