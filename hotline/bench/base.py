"""What every benchmark provides, so that `hotline bench NAME` can list and run it."""

from __future__ import annotations

import argparse
from typing import Any, Protocol


class Writer(Protocol):
    """Where progress and results go: a file, or a management command's stdout/stderr."""

    def write(self, text: str, /) -> Any: ...


class Benchmark(Protocol):
    """A benchmark: its sub-command name, a one-line help, its options, and how it runs.

    `handle` prints its figures on `out`, progress on `err`, and usually writes its section of
    docs/benchmarks.md (see report.py); measuring per database goes through targets.py.
    """

    name: str
    help: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def handle(self, options: dict[str, Any], out: Writer, err: Writer) -> None: ...
