"""A running job's progress (done / total), written where a reader can see it while the job's own
transaction is still open.

- PostgreSQL (and any server database): a second connection of this process updates the Job row in
  autocommit. The job's main transaction does not touch its Job row until it finishes.
- SQLite: a second writer would wait for the job's write lock (the apply transaction holds it for the
  whole apply), so progress goes to a small side database file beside the main one
  (`<database>.progress`), with its own lock. The final figures are written on the Job row by the
  transaction that finishes the job.

Writes are throttled (at most one every `INTERVAL` seconds) and never fail the job: progress is a
courtesy to the person watching, not part of the job's result.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

log = logging.getLogger(__name__)

INTERVAL = 0.5  # seconds between two writes
_SIDE_TABLE = "CREATE TABLE IF NOT EXISTS job_progress (job_id INTEGER PRIMARY KEY, done INTEGER, total INTEGER)"


def side_file(alias: str = "default") -> Path | None:
    """The side database of an SQLite database, or None (another vendor, or an in-memory database)."""
    connection = connections[alias]
    if connection.vendor != "sqlite":
        return None
    name = str(connection.settings_dict["NAME"])
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(f"{name}.progress")


def _open_side(path: Path) -> sqlite3.Connection:
    # check_same_thread off: the writer is made on the worker's thread and used there, but the demo's
    # worker thread and a test may hand it over; every use is serial.
    side = sqlite3.connect(path, timeout=2.0, isolation_level=None, check_same_thread=False)
    side.execute("PRAGMA journal_mode=WAL")
    side.execute("PRAGMA synchronous=OFF")  # figures for a progress bar: losing the last one in a crash is fine
    side.execute(_SIDE_TABLE)
    return side


def read_progress(job_id: int) -> tuple[int, int] | None:
    """The last progress written for a running job on SQLite's side file (None when there is none)."""
    path = side_file()
    if path is None or not path.exists():
        return None
    try:
        with closing(_open_side(path)) as side:
            row = side.execute("SELECT done, total FROM job_progress WHERE job_id = ?", (job_id,)).fetchone()
    except sqlite3.Error:
        return None
    return (int(row[0]), int(row[1])) if row else None


class ProgressWriter:
    """Writes one job's progress, throttled; `close()` releases what it opened."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.last = float("-inf")
        self.path = side_file()
        self.side: sqlite3.Connection | None = None
        self.connection: BaseDatabaseWrapper | None = None

    def write(self, done: int, total: int, *, force: bool = False) -> bool:
        """Write unless the last write was under `INTERVAL` ago; True when written."""
        now = time.monotonic()
        if not force and now - self.last < INTERVAL:
            return False
        self.last = now
        try:
            self._write_side(done, total) if self.path is not None else self._write_row(done, total)
        except Exception:  # a busy side file or a dropped connection costs one update, never the job
            log.warning("progress of job %s not written", self.job_id, exc_info=True)
            return False
        return True

    def _write_side(self, done: int, total: int) -> None:
        assert self.path is not None
        if self.side is None:
            self.side = _open_side(self.path)
        self.side.execute("INSERT OR REPLACE INTO job_progress (job_id, done, total) VALUES (?, ?, ?)",
                          (self.job_id, done, total))

    def _write_row(self, done: int, total: int) -> None:
        from hotline.jobs.models import Job

        if self.connection is None:
            self.connection = connections.create_connection("default")  # its own autocommit session
        table = self.connection.ops.quote_name(Job._meta.db_table)
        with self.connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET done = %s, total = %s WHERE id = %s", [done, total, self.job_id])

    def close(self) -> None:
        """Close the second connection, and forget the side row (the Job row has the final figures)."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        if self.path is not None and self.path.exists():
            try:
                with closing(self.side or _open_side(self.path)) as side:
                    side.execute("DELETE FROM job_progress WHERE job_id = ?", (self.job_id,))
            except sqlite3.Error:
                log.warning("progress of job %s not cleared", self.job_id, exc_info=True)
            self.side = None
