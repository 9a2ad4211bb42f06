"""Progress: written beside the job's transaction (SQLite's side file), throttled, read by the page."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from hotline.jobs.models import Job
from hotline.jobs.progress import ProgressWriter, read_progress, side_file
from hotline.jobs.queries import live_progress


def test_writes_are_throttled_but_the_first_and_forced_ones_go_through(db: None) -> None:
    job = Job.objects.create(kind="tests.gated", status=Job.Status.RUNNING)
    writer = ProgressWriter(job.pk)
    assert [writer.write(1, 100), writer.write(2, 100), writer.write(3, 100, force=True)] == [True, False, True]
    assert read_progress(job.pk) == (3, 100)
    writer.close()
    assert read_progress(job.pk) is None


def test_progress_is_written_while_a_write_transaction_is_open(db: None) -> None:
    """SQLite: the side file has its own lock, so the job's open apply transaction does not block it."""
    job = Job.objects.create(kind="tests.gated", status=Job.Status.RUNNING)
    writer = ProgressWriter(job.pk)
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(error="")  # this connection now holds the write lock
        assert writer.write(40, 80)
    assert live_progress(job) == (40, 80, 50)
    assert str(side_file()).endswith(".progress")
    writer.close()


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
