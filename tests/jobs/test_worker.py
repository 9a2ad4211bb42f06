"""The real worker (`hotline worker` in a subprocess, on the test database): it runs an import queued in
the database, and a job whose worker is killed (SIGKILL) in the middle of its apply transaction is run
again by the next worker and applied once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from hotline.accounts.models import AuditEntry
from hotline.crm.models import Customer
from hotline.jobs.actions import run_job
from hotline.jobs.models import Job
from hotline.jobs.queries import live_progress
from hotline.jobs.worker import JobWorker
from tests import factories
from tests.backoffice.helpers import xlsx_bytes

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 90.0  # seconds: generous, for a loaded machine


def wait_until(condition: Callable[[], Any], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def worker_database_url() -> str:
    """The test database as the worker's DATABASE_URL (SQLite's file, or PostgreSQL's test database)."""
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    return urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}"))


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Start `hotline worker` on this test's database; every worker started is stopped at the end."""
    started: list[subprocess.Popen[bytes]] = []
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hotline.test_settings", "DATABASE_URL": worker_database_url()}

    def start() -> subprocess.Popen[bytes]:
        log = (tmp_path / f"worker-{len(started)}.log").open("wb")
        process = subprocess.Popen([sys.executable, "-m", "hotline.cli", "worker", "--backend", "database",
                                    "--interval", "0.05"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(30)


@pytest.fixture
def queued_in_database(settings):  # type: ignore[no-untyped-def]
    settings.HOTLINE_JOBS_BACKEND = "database"


def result_of(job: Job) -> dict[str, Any]:
    assert job.result is not None
    return job.result


def job_state(pk: int) -> tuple[str, int]:
    job = Job.objects.get(pk=pk)
    return job.status, job.attempts


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_an_import_queued_in_the_database(queued_in_database: None, start_worker: Any) -> None:
    admin = factories.make_user("admin", username="t_admin")
    content = xlsx_bytes([["name", "phone"], ["李娜", "13800138001"], ["张伟", "13900139000"]])
    job = run_job("import.customers", actor=admin, payload={"good_rows": False}, file=content, file_name="c.xlsx")
    assert (job.status, DBTaskResult.objects.filter(status="READY").count()) == ("queued", 1)

    start_worker()
    wait_until(lambda: Job.objects.get(pk=job.pk).finished, "the import to finish")

    job.refresh_from_db()
    assert (job.status, job.attempts, job.done, job.total) == ("done", 1, 4, 4)
    assert (result_of(job)["created"], result_of(job)["imported"], result_of(job)["errors"]) == (2, True, [])
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["张伟", "李娜"]


@pytest.mark.django_db(transaction=True)
def test_a_job_killed_in_its_apply_transaction_is_run_again_and_applied_once(
        queued_in_database: None, start_worker: Any, tmp_path: Path) -> None:
    author = factories.make_user("logistics", username="t_logistics")
    job = run_job("tests.gated", actor=author, payload={"dir": str(tmp_path)})
    first = start_worker()

    wait_until((tmp_path / "parsed").exists, "the job to parse")
    assert live_progress(Job.objects.get(pk=job.pk)) == (3, 10, 30)  # seen while the job runs
    (tmp_path / "go-apply").touch()
    wait_until((tmp_path / "applying-1").exists, "the job to be inside its apply transaction")
    first.send_signal(signal.SIGKILL)
    first.wait(30)

    assert job_state(job.pk) == ("running", 1)
    assert not AuditEntry.objects.filter(action="test_job_applied").exists()  # nothing applied

    (tmp_path / "go-commit").touch()
    start_worker()
    wait_until(lambda: Job.objects.get(pk=job.pk).finished, "the job to be run again")
    wait_until(lambda: not DBTaskResult.objects.filter(status="RUNNING").exists(), "the task to be closed")

    job.refresh_from_db()
    assert (job.status, job.attempts, job.result, job.done, job.total) == ("done", 2, {"applied": True}, 10, 10)
    assert AuditEntry.objects.filter(action="test_job_applied").count() == 1
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == ["FAILED", "SUCCESSFUL"]


@pytest.mark.django_db(transaction=True)
def test_the_demo_s_worker_thread_runs_jobs(queued_in_database: None, tmp_path: Path) -> None:
    for gate in ("go-apply", "go-commit"):
        (tmp_path / gate).touch()
    author = factories.make_user("logistics", username="t_logistics")
    worker = JobWorker(backend="database", interval=0.05)
    worker.start()
    try:
        job = run_job("tests.gated", actor=author, payload={"dir": str(tmp_path)})
        wait_until(lambda: Job.objects.get(pk=job.pk).finished, "the job to run on the thread")
    finally:
        worker.stop()
    assert job_state(job.pk) == ("done", 1)
    assert worker._thread is not None and not worker._thread.is_alive()


def test_hotline_worker_has_a_help(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "HOTLINE_DATA_DIR": str(tmp_path)}
    shown = subprocess.run([sys.executable, "-m", "hotline.cli", "worker", "--help"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120, check=False)
    assert (shown.returncode, shown.stderr) == (0, "")
    assert shown.stdout.startswith("usage: hotline worker ")
