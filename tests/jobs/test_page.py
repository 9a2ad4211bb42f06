"""The job page /jobs/<id>/: who may see it, the progress bar htmx polls while the job runs, the result
report, and the import's "take the good rows" button."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from hotline.jobs.actions import run_job
from hotline.jobs.models import Job
from tests.backoffice.helpers import english_client, xlsx_bytes

ROWS = [["name", "phone"], ["李娜", "13800138001"], ["", "13900139000"]]


@pytest.fixture
def refused_import(users: dict[str, Any]) -> Job:
    """An admin's customer import with one good and one bad row: nothing imported."""
    return run_job("import.customers", actor=users["admin"], payload={"good_rows": False},
                   file=xlsx_bytes(ROWS), file_name="c.xlsx")


def page(user: Any, job: Job, **headers: str) -> Any:
    return english_client(user).get(reverse("jobs:job", args=[job.pk]), headers=headers)


def test_anonymous_is_sent_to_sign_in(refused_import: Job) -> None:
    url = reverse("jobs:job", args=[refused_import.pk])
    response = Client().get(url)
    assert (response.status_code, response["Location"]) == (302, f"/login/?next={url}")


@pytest.mark.parametrize(("role", "status"), [("admin", 200), ("agent", 200), ("logistics", 403), ("finance", 403)])
def test_the_creator_and_holders_of_the_kind_s_permission_see_an_import(
        users: dict[str, Any], refused_import: Job, role: str, status: int) -> None:
    assert page(users[role], refused_import).status_code == status  # agents may change customers


def test_a_job_without_a_shared_permission_is_its_creator_s_alone(users: dict[str, Any], tmp_path: Any) -> None:
    for gate in ("go-apply", "go-commit"):
        (tmp_path / gate).touch()
    job = run_job("tests.gated", actor=users["logistics"], payload={"dir": str(tmp_path)})
    assert [page(users[role], job).status_code for role in ("logistics", "agent", "manager")] == [200, 403, 403]


def test_an_unknown_job_is_404(users: dict[str, Any]) -> None:
    assert english_client(users["admin"]).get(reverse("jobs:job", args=[999])).status_code == 404


def test_the_result_report_lists_the_counts_and_every_bad_row(users: dict[str, Any], refused_import: Job) -> None:
    response = page(users["admin"], refused_import)
    html = response.content.decode()
    assert response.context["result"]["summary"] == ("Nothing was imported: 1 of 2 rows has errors. Fix it, or "
                                                     "import the valid rows anyway.")
    assert "<td>3</td><td>name</td><td>This field is required.</td>" in html
    assert "Import the 1 valid rows anyway" in html
    assert 'hx-trigger="every 1s"' not in html  # finished: no more polling
    assert f'href="{reverse("admin:crm_customer_changelist")}"' in html


def test_a_running_job_s_fragment_shows_its_progress_and_keeps_polling(users: dict[str, Any]) -> None:
    job = Job.objects.create(kind="tests.gated", status=Job.Status.RUNNING, created_by=users["admin"], done=3,
                             total=12)
    response = page(users["admin"], job, **{"HX-Request": "true"})
    html = response.content.decode()
    assert [t.name for t in response.templates] == ["jobs/_job.html"]
    assert '<progress id="job-progress" max="12" value="3">25%</progress>' in html
    assert "3 / 12 · 25%" in html
    assert f'hx-get="{reverse("jobs:job", args=[job.pk])}" hx-trigger="every 1s" hx-swap="outerHTML"' in html


def test_a_failed_job_says_why(users: dict[str, Any]) -> None:
    job = run_job("tests.failing", actor=users["admin"])
    assert "The job failed: the test job failed on purpose" in page(users["admin"], job).content.decode()


def test_the_page_speaks_chinese_by_default(users: dict[str, Any], refused_import: Job) -> None:
    client = Client()
    client.force_login(users["admin"])
    html = client.get(reverse("jobs:job", args=[refused_import.pk])).content.decode()
    assert "客户导入" in html and "返回列表" in html and "仍然导入 1 行有效数据" in html


def test_good_rows_are_taken_on_request(users: dict[str, Any], refused_import: Job) -> None:
    response = english_client(users["admin"]).post(reverse("jobs:good_rows", args=[refused_import.pk]))
    again = Job.objects.exclude(pk=refused_import.pk).get()
    assert (response.status_code, response["Location"]) == (302, reverse("jobs:job", args=[again.pk]))
    assert (again.kind, again.file_name, bytes(again.file or b""), again.payload) == (
        "import.customers", "c.xlsx", bytes(Job.objects.get(pk=refused_import.pk).file or b""), {"good_rows": True})
    assert again.result is not None and (again.result["created"], again.result["imported"]) == (1, True)


@pytest.mark.parametrize("role", ["logistics", "finance"])
def test_good_rows_refused_to_who_may_not_see_the_job(users: dict[str, Any], refused_import: Job, role: str) -> None:
    response = english_client(users[role]).post(reverse("jobs:good_rows", args=[refused_import.pk]))
    assert response.status_code == 403
    assert Job.objects.count() == 1


def test_good_rows_is_only_for_imports(users: dict[str, Any]) -> None:
    job = run_job("tests.failing", actor=users["admin"])
    response = english_client(users["admin"]).post(reverse("jobs:good_rows", args=[job.pk]))
    assert (response.status_code, Job.objects.count()) == (403, 1)
