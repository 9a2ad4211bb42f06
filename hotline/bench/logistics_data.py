"""Demo data sets for the logistics benchmarks: loaded once per database, copied for every run that writes.

`hotline bench logistics` reviews, ships and records deliveries, so each of its runs starts from a fresh copy
of the data set (a copied SQLite file, or a PostgreSQL database made from the data set's as a template)
instead of reloading it. The data set database is reused while its generator version, size and seed match,
and is never one that holds other data (`existing_data` without a benchmark's load record is refused).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.core.management import call_command
from django.db import connection

from hotline.bench.base import Writer
from hotline.bench.targets import BenchError, Target
from hotline.demo.loader import (
    DATASET_VERSION,
    DemoOptions,
    erase_all_data,
    existing_data,
    latest_load,
    load_demo,
    pending_migrations,
)

SQLITE_SIDE_FILES = ("-wal", "-shm")


def prepare_dataset(customers: int, orders: int, seed: int, reload: bool, err: Writer) -> dict[str, Any]:
    """Migrate, and load the demo data set unless the one already there has the same version, size and seed."""
    if pending_migrations():
        call_command("migrate", verbosity=0, interactive=False)
    loaded = latest_load()
    wanted = {"version": DATASET_VERSION, "customers": customers, "orders": orders, "seed": seed, "purpose": "bench"}
    if not reload and loaded and all(loaded.get(key) == value for key, value in wanted.items()):
        err.write(f"  reusing the data set loaded earlier ({customers:,} customers, {orders:,} orders)\n")
        return {"loaded_now": False, "load_seconds": loaded.get("seconds")}
    if existing_data():
        if loaded is None or loaded.get("purpose") != "bench":
            raise BenchError(f"{connection.settings_dict['NAME']} holds data that is not a benchmark data set; "
                             "refusing to erase it. Point the benchmark at another database.")
        erase_all_data()
    err.write(f"  loading {customers:,} customers, {orders:,} orders (once; later runs reuse them)\n")
    options = DemoOptions(customers=customers, orders=orders, seed=seed, purpose="bench")
    report = load_demo(options, progress=lambda message: err.write(f"  {message}\n"))
    if connection.vendor == "sqlite":  # the copies are made from the main file alone
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"loaded_now": True, "load_seconds": round(report.seconds, 1)}


def database_version() -> str:
    """`3.40.1` or `15.14`: the version of the database server this process talks to."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        return str(cursor.fetchone()[0]).split()[0]


def dataset_target(engine: str, sqlite_path: Path, postgres: str, default_name: str) -> Target:
    """Where the data set lives: the SQLite file, or the PostgreSQL database (`default_name` when the URL
    names none, so that benchmarks with different data sets never share a database)."""
    if engine == "sqlite":
        return Target("sqlite", f"sqlite:///{sqlite_path.resolve()}")
    parts = urlsplit(postgres)
    if parts.scheme not in ("postgres", "postgresql"):
        raise BenchError(f"--postgres-url must be a postgres:// URL; got {postgres!r}.")
    if parts.path.strip("/") in ("", "postgres", "template0", "template1"):
        parts = parts._replace(path=f"/{default_name}")
    if parts.path.strip("/") == "test" or parts.path.strip("/").startswith("test_"):
        raise BenchError("The benchmark never runs in a test database; name another one in --postgres-url.")
    return Target("postgres", urlunsplit(parts))


def sqlite_file(target: Target) -> Path:
    """The file of a `sqlite:////absolute/path` target."""
    return Path(target.url.removeprefix("sqlite:///"))


def scratch_target(dataset: Target) -> Target:
    """The database a writing run works in: `<data set>-run.sqlite3`, or `<data set>_run` on PostgreSQL."""
    parts = urlsplit(dataset.url)
    if dataset.engine == "sqlite":
        path = sqlite_file(dataset)
        return Target("sqlite", f"sqlite:///{path.with_name(f'{path.stem}-run{path.suffix}')}")
    return Target("postgres", urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_run")))


def copy_dataset(dataset: Target, scratch: Target) -> None:
    """Replace the scratch database by a copy of the data set (no process may be connected to either)."""
    if dataset.engine == "sqlite":
        source, copy = sqlite_file(dataset), sqlite_file(scratch)
        for suffix in SQLITE_SIDE_FILES:
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(source, copy)
        for suffix in SQLITE_SIDE_FILES:  # a WAL not yet checkpointed belongs to the copy too
            if Path(f"{source}{suffix}").exists():
                shutil.copyfile(f"{source}{suffix}", f"{copy}{suffix}")
        return
    import psycopg
    from psycopg import sql

    parts = urlsplit(dataset.url)
    template, name = parts.path.strip("/"), urlsplit(scratch.url).path.strip("/")
    try:
        with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name),
                                                                          sql.Identifier(template)))
    except psycopg.Error as exc:
        raise BenchError(f"PostgreSQL: could not copy {template} to {name} ({exc}).") from exc
