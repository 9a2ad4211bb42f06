"""Progress: written beside the job's transaction (SQLite's side file, or a second connection on
PostgreSQL), throttled, read by the page. The tests that read a write commit their rows first
(transactional database), as the worker does."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction

from hotline.accounts.audit import record
from hotline.jobs.models import Job
from hotline.jobs.progress import ProgressWriter, read_progress, side_file
from hotline.jobs.queries import live_progress


def shown(job: Job) -> tuple[int, int, int]:
    return live_progress(Job.objects.get(pk=job.pk))


@pytest.mark.django_db(transaction=True)
def test_writes_are_throttled_but_the_first_and_forced_ones_go_through() -> None:
    job = Job.objects.create(kind="tests.gated", status=Job.Status.RUNNING)
    writer = ProgressWriter(job.pk)
    assert [writer.write(1, 100), writer.write(2, 100), writer.write(3, 100, force=True)] == [True, False, True]
    assert shown(job) == (3, 100, 3)
    writer.close()
    assert read_progress(job.pk) is None  # SQLite's side row is gone (PostgreSQL never had one)


@pytest.mark.django_db(transaction=True)
def test_progress_is_written_while_the_job_s_write_transaction_is_open(users: dict[str, Any]) -> None:
    """On SQLite the side file has its own lock; on PostgreSQL the Job row is not locked by the job's
    writes. Either way the open apply transaction does not block the progress, nor hide it."""
    job = Job.objects.create(kind="tests.gated", status=Job.Status.RUNNING)
    writer = ProgressWriter(job.pk)
    with transaction.atomic():
        record("test_write", users["admin"], actor=None)  # on SQLite this connection now holds the write lock
        assert writer.write(40, 80)
        assert shown(job) == (40, 80, 50)
    writer.close()


def test_sqlite_s_side_file_lies_beside_the_database(db: None) -> None:
    if connection.vendor != "sqlite":
        assert side_file() is None
    else:
        assert str(side_file()) == f"{connection.settings_dict['NAME']}.progress"


def test_the_page_reads_the_row_once_the_job_has_ended(db: None) -> None:
    done = Job.objects.create(kind="tests.gated", status=Job.Status.DONE, done=7, total=8)
    silent = Job.objects.create(kind="tests.gated", status=Job.Status.DONE)
    queued = Job.objects.create(kind="tests.gated")
    assert [live_progress(done), live_progress(silent), live_progress(queued)] == [(7, 8, 87), (1, 1, 100), (0, 0, 0)]


def test_an_import_reports_every_row_parsed_then_applied(users: dict[str, Any]) -> None:
    from hotline.crm.imports import CustomerImport
    from tests.backoffice.helpers import xlsx_stream

    seen: list[tuple[int, int]] = []
    rows = [["name", "phone"], ["李娜", "13800138001"], ["", "13900139000"], ["张伟", "13700137000"]]
    result = CustomerImport(actor=users["admin"]).run(xlsx_stream(rows), "c.xlsx", good_rows=True,
                                                      progress=lambda done, total: seen.append((done, total)))
    assert (result.created, seen) == (2, [(1, 6), (2, 6), (3, 6), (5, 6), (6, 6)])
