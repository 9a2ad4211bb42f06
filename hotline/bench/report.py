"""docs/benchmarks.md: each benchmark owns one marked section, replaced in place when it runs again."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DOCUMENT_HEADER = """# Benchmarks

Figures measured by `hotline bench …` on the machine described under each table. Every section is
written by the benchmark itself (between its `bench:` markers); rerun the command to update it.
Tests never assert timings; these pages are where speed is recorded.
"""


def markers(name: str) -> tuple[str, str]:
    """The comment lines that open and close benchmark `name`'s section."""
    return f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"


def replace_section(document: str, name: str, body: str) -> str:
    """The document with section `name` set to `body`: replaced where it is, else appended at the end."""
    start, end = markers(name)
    section = f"{start}\n{body.strip()}\n{end}"
    head, found, rest = document.partition(start)
    if found:
        _old, closed, tail = rest.partition(end)
        if not closed:
            raise ValueError(f"{start} has no closing {end}")
        return f"{head}{section}{tail}"
    base = document.rstrip() or DOCUMENT_HEADER.rstrip()
    return f"{base}\n\n{section}\n"


def write_section(path: Path, name: str, body: str) -> None:
    """Replace or add the section in the file, creating the file with its header if needed."""
    document = path.read_text(encoding="utf-8") if path.exists() else DOCUMENT_HEADER
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(replace_section(document, name, body), encoding="utf-8")


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table; numbers should already be formatted."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def machine_line(machine: dict[str, str]) -> str:
    """One sentence naming the machine and the software versions."""
    software = [f"Python {machine['python']}", f"Django {machine['django']}", f"SQLite {machine['sqlite']}"]
    if machine.get("postgresql"):
        software.append(f"PostgreSQL {machine['postgresql']}")
    line = (f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram']} RAM, {machine['os']}; "
            f"{', '.join(software)}. Measured {machine['date']}")
    if machine.get("load"):
        line += f", load average {machine['load']} (other work on the machine) at the end of the run"
    return line + "."


def add_output_arguments(parser: argparse.ArgumentParser, section: str, default: Path) -> None:
    """The options every benchmark shares: where its section goes, whether to write it, JSON output."""
    parser.add_argument("--output", type=Path, default=default,
                        help=f"Markdown file whose {section} section is written (default docs/benchmarks.md).")
    parser.add_argument("--no-write", action="store_true", help="Print the figures only.")
    parser.add_argument("--json", action="store_true", help="Print the results as JSON.")


def publish(section_name: str, section: str, payload: dict[str, Any], options: dict[str, Any],
            out: Any, err: Any) -> None:
    """Print the section (or the JSON payload with --json) and, unless --no-write, record the section."""
    out.write((json.dumps(payload, indent=2) if options["json"] else section) + "\n")
    if not options["no_write"]:
        write_section(Path(options["output"]), section_name, section)
        err.write(f"Wrote the {section_name} section of {options['output']}\n")
