"""The databases a benchmark compares, and running the measurement in one process per database.

Django binds its database when settings load, so switching engines inside one process would mean
rewiring connections under the ORM's feet. Instead each database gets a child process of the same
`hotline bench …` command, started with `--worker` and `DATABASE_URL` set; it prints its progress on
stderr and its result as one JSON line on stdout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

ENGINES = ("sqlite", "postgres")
DEFAULT_POSTGRES_DATABASE = "hotline_bench"


class BenchError(Exception):
    """A benchmark could not run; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    """A database a benchmark runs against: `sqlite` or `postgres`, and its URL."""

    engine: str
    url: str

    @property
    def label(self) -> str:
        return "SQLite" if self.engine == "sqlite" else "PostgreSQL"


def parse_engines(text: str) -> list[str]:
    """`sqlite,postgres` -> ["sqlite", "postgres"]; unknown names are refused."""
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - set(ENGINES))
    if unknown or not names:
        raise BenchError(f"--databases takes a comma-separated list of {', '.join(ENGINES)}; got {text!r}.")
    return list(dict.fromkeys(names))


def postgres_url(url: str) -> str:
    """The URL with the benchmark database name when the URL names none (`postgres://host:5432/`)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise BenchError(f"--postgres-url must be a postgres:// URL; got {url!r}.")
    if parts.path.strip("/"):
        return url
    return urlunsplit(parts._replace(path=f"/{DEFAULT_POSTGRES_DATABASE}"))


def targets(engines: list[str], sqlite_path: Path, postgres: str) -> list[Target]:
    """One target per engine, in the order asked for."""
    urls = {"sqlite": f"sqlite:///{sqlite_path.resolve()}", "postgres": postgres_url(postgres)}
    return [Target(engine, urls[engine]) for engine in engines]


def ensure_database(target: Target) -> None:
    """Create the SQLite folder or the PostgreSQL database when missing."""
    if target.engine == "sqlite":
        Path(urlsplit(target.url).path).parent.mkdir(parents=True, exist_ok=True)
        return
    import psycopg
    from psycopg import sql

    parts = urlsplit(target.url)
    name = parts.path.strip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        raise BenchError(f"PostgreSQL at {admin_url} is not usable ({exc}). Start it, pass --postgres-url, "
                         "or leave it out with --databases sqlite.") from exc


def run_worker(target: Target, argv: list[str], timeout: float) -> dict[str, Any]:
    """Run `hotline ARGV --worker` against the target in a child process; return its JSON result."""
    env = {**os.environ, "DATABASE_URL": target.url, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
    command = [sys.executable, "-m", "hotline.cli", *argv, "--worker"]
    try:
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, timeout=timeout,
                              cwd=settings.BASE_DIR, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{target.label}: gave up after {timeout:.0f} s (raise --timeout).") from exc
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise BenchError(f"{target.label}: the measuring process failed (exit {done.returncode}); "
                         "its messages are above.")
    result: dict[str, Any] = json.loads(lines[-1])
    return result
