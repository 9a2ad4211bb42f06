"""Running jobs (the immediate backend: a job runs inside `run_job`), failing them, and taking back the
jobs of a dead worker."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from hotline.accounts.models import AuditEntry
from hotline.jobs.actions import run_job
from hotline.jobs.models import Job
from hotline.jobs.progress import read_progress
from hotline.jobs.runner import MAX_ATTEMPTS, reclaim, worker_name

HOST = socket.gethostname()
DEAD = f"{HOST}:{2**22 + 12345}"  # above Linux's largest pid: no such process


@pytest.fixture
def open_gates(tmp_path: Path) -> Path:
    for name in ("go-apply", "go-commit"):
        (tmp_path / name).touch()
    return tmp_path


def test_a_job_runs_and_reports(users: dict[str, Any], open_gates: Path) -> None:
    job = run_job("tests.gated", actor=users["logistics"], payload={"dir": str(open_gates)})
    assert (job.status, job.attempts, job.result, job.done, job.total) == ("done", 1, {"applied": True}, 10, 10)
    assert (job.created_by, job.worker, job.error) == (users["logistics"], worker_name(), "")
    assert job.started_at is not None and job.finished_at is not None
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "actor_name")) == [
        ("start_job", "t_logistics"), ("test_job_applied", "t_logistics")]
    assert read_progress(job.pk) is None  # the side row goes once the Job row has the final figures


def test_a_job_that_raises_is_failed_with_the_reason(users: dict[str, Any]) -> None:
    job = run_job("tests.failing", actor=users["admin"])
    assert (job.status, job.error, job.result, job.attempts) == ("failed", "the test job failed on purpose", None, 1)
    assert job.finished_at is not None


def test_an_unknown_kind_is_refused_and_nothing_is_written(english: None, users: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as refused:
        run_job("no.such.kind", actor=users["admin"])
    assert refused.value.messages == ["Unknown job kind: no.such.kind"]
    assert (Job.objects.count(), AuditEntry.objects.count()) == (0, 0)


def running(worker: str, attempts: int = 1) -> Job:
    return Job.objects.create(kind="tests.gated", status=Job.Status.RUNNING, worker=worker, attempts=attempts)


def test_a_job_whose_worker_died_is_queued_again(db: None) -> None:
    orphan = running(DEAD)
    assert reclaim() == [orphan.pk]
    orphan.refresh_from_db()
    assert (orphan.status, orphan.worker, orphan.attempts) == ("queued", "", 1)


def test_jobs_of_live_workers_and_other_hosts_are_left_alone(db: None) -> None:
    parent, elsewhere = running(f"{HOST}:{os.getppid()}"), running("other-host:1")
    assert reclaim() == []
    assert set(Job.objects.values_list("pk", "status")) == {(parent.pk, "running"), (elsewhere.pk, "running")}


def test_a_job_under_the_starting_worker_s_own_name_is_an_orphan(db: None) -> None:
    """A restarted container's worker has the pid its predecessor had; it has run nothing yet."""
    orphan = running(worker_name())
    assert reclaim() == [orphan.pk]


def test_a_job_that_keeps_killing_its_worker_is_failed(english: None, db: None) -> None:
    orphan = running(DEAD, attempts=MAX_ATTEMPTS)
    assert reclaim() == []
    orphan.refresh_from_db()
    assert (orphan.status, orphan.error) == ("failed", "The worker stopped 3 times while running this job.")


def test_a_job_no_longer_queued_is_not_run_twice(users: dict[str, Any], open_gates: Path) -> None:
    from hotline.jobs.runner import execute

    job = run_job("tests.gated", actor=users["admin"], payload={"dir": str(open_gates)})
    execute(job.pk)  # a second task for the same job (a duplicate enqueue) finds it done
    job.refresh_from_db()
    assert (job.status, job.attempts, AuditEntry.objects.filter(action="test_job_applied").count()) == ("done", 1, 1)
