"""The machine a benchmark ran on, as docs/benchmarks.md records it next to the figures."""

from __future__ import annotations

import datetime
import os
import platform
import sqlite3
from pathlib import Path

import django


def cpu_model(cpuinfo: str) -> str:
    """The first `model name` of /proc/cpuinfo text (`unknown` when absent, e.g. on ARM boards)."""
    for line in cpuinfo.splitlines():
        key, _sep, value = line.partition(":")
        if key.strip() == "model name" and value.strip():
            return value.strip()
    return "unknown"


def memory_gib(meminfo: str) -> float:
    """MemTotal of /proc/meminfo text in GiB, 0 when absent."""
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def os_name(os_release: str) -> str:
    """PRETTY_NAME of /etc/os-release text, else the platform's own name."""
    for line in os_release.splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.partition("=")[2].strip().strip('"')
    return platform.system()


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def describe_machine(postgresql: str = "") -> dict[str, str]:
    """CPU, cores, RAM, OS, Python, Django, SQLite and (when given) PostgreSQL versions, today's date, and
    the load average: on a small machine other work shows in the slowest percentiles."""
    described = {
        "cpu": cpu_model(_read("/proc/cpuinfo")),
        "cores": str(os.cpu_count() or 0),
        "ram": f"{memory_gib(_read('/proc/meminfo')):.1f} GiB",
        "os": f"{os_name(_read('/etc/os-release'))}, Linux {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
        "date": datetime.date.today().isoformat(),
        "load": f"{os.getloadavg()[0]:.1f}",
    }
    if postgresql:
        described["postgresql"] = postgresql
    return described
