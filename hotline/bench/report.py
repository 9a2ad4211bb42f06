"""docs/benchmarks.md: each benchmark owns one marked section, replaced in place when it runs again."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hotline.bench.machine import describe_machine

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
                        help=f"Markdown file whose {section} section is written (default: {default}).")
    parser.add_argument("--write", dest="no_write", action="store_false", default=None,
                        help=f"Record the figures in the {section} section of --output. Default: only when that "
                             "section was measured on this machine (same CPU, cores and RAM) or is not there yet (in a "
                             "folder that exists: an installed copy has no docs/). "
                             "Nothing in a checkout tells the project's own from a clone, but the machine line "
                             "tells the project's reference machine from yours, so a clone elsewhere never "
                             "replaces the published figures by accident.")
    parser.add_argument("--no-write", dest="no_write", action="store_true", default=None,
                        help="Print the figures only.")
    parser.add_argument("--json", action="store_true", help="Print the results as JSON.")


def machine_identity(machine: dict[str, str]) -> str:
    """The start of a section's machine line that names the hardware (not the software or the date)."""
    return f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram']} RAM,"


def write_decision(path: Path, section_name: str, no_write: bool | None,
                   machine: dict[str, str]) -> tuple[bool, str]:
    """Whether to record the section in `path`, and why not: --write / --no-write decide; by default only a
    section measured on this machine (or a new one) in an existing file is replaced."""
    if no_write is not None:
        return (False, "--no-write") if no_write else (True, "")
    if not path.exists():  # an installed copy has no docs/ folder: nothing to record the figures in
        return (True, "") if path.parent.is_dir() else (False, f"{path.parent} does not exist; --write creates it")
    start, end = markers(section_name)
    section = path.read_text(encoding="utf-8").partition(start)[2].partition(end)[0]
    recorded = next((line for line in section.splitlines() if line.startswith("Machine: ")), "")
    if recorded and not recorded.startswith(machine_identity(machine)):
        return False, (f"its {section_name} section was measured on another machine "
                       f"({recorded.removeprefix('Machine: ').split(';')[0]}); --write replaces it")
    return True, ""


def publish(section_name: str, section: str, payload: dict[str, Any], options: dict[str, Any],
            out: Any, err: Any) -> None:
    """Print the section (or the JSON payload with --json) and record it when `write_decision` says so,
    saying where it went, or where it did not and why."""
    out.write((json.dumps(payload, indent=2) if options["json"] else section) + "\n")
    path = Path(options["output"])
    write, reason = write_decision(path, section_name, options["no_write"], describe_machine())
    if write:
        write_section(path, section_name, section)
        err.write(f"Wrote the {section_name} section of {path}\n")
    else:
        err.write(f"Not written to {path}: {reason}.\n")
