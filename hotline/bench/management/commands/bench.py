"""`hotline bench NAME …`: run one benchmark. Each benchmark is a class registered in BENCHMARKS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.bench.base import Benchmark
from hotline.bench.engine import EngineBenchmark
from hotline.bench.finance import FinanceBenchmark
from hotline.bench.ivr import IvrBenchmark
from hotline.bench.kb import KbBenchmark
from hotline.bench.logistics import LogisticsBenchmark
from hotline.bench.lookup import LookupBenchmark
from hotline.bench.pop import PopBenchmark
from hotline.bench.relay import RelayBenchmark
from hotline.bench.reports import ReportsBenchmark
from hotline.bench.risk import RiskBenchmark
from hotline.bench.routing import RoutingBenchmark
from hotline.bench.surge import SurgeBenchmark
from hotline.bench.targets import BenchError

# Later benchmarks (engine, surge, pop) join here; each gets its own sub-command and options.
BENCHMARKS: dict[str, Benchmark] = {
    bench.name: bench
    for bench in (LookupBenchmark(), RoutingBenchmark(), RelayBenchmark(), EngineBenchmark(), SurgeBenchmark(),
                  PopBenchmark(), IvrBenchmark(), LogisticsBenchmark(),
                  RiskBenchmark(), FinanceBenchmark(), ReportsBenchmark(),
                  KbBenchmark())
}


class Command(BaseCommand):
    help = ("Run a benchmark: it prints its figures, and records them in its section of docs/benchmarks.md in "
            "this checkout (--output) when that section was measured on this machine; --write / --no-write "
            "decide (see `hotline bench NAME --help`).")

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
