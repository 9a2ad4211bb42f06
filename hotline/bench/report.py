"""docs/benchmarks.md: each benchmark owns one marked section, replaced in place when it runs again."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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
