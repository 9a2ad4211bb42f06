"""The back office's three Import pages queue a job and open its page; a refused upload queues nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from hotline.catalog.models import Product
from hotline.jobs.models import Job
from hotline.media.models import Airing
from tests.backoffice.helpers import admin_url, english_client, xlsx_upload


def post_import(user: Any, model: str, rows: list[list[Any]], **data: Any) -> Any:
    return english_client(user).post(admin_url(model, "import"), {"file": xlsx_upload(rows), **data})


def test_products_are_imported_by_a_job(users: dict[str, Any]) -> None:
    response = post_import(users["admin"], "catalog/product",
                           [["SKU", "name", "short code", "price"], ["P-1", "颈椎按摩仪", 101, 398]])
    job = Job.objects.get()
    assert (response.status_code, response["Location"]) == (302, reverse("jobs:job", args=[job.pk]))
    assert (job.kind, job.status, job.file_name) == ("import.products", "done", "data.xlsx")
    assert list(Product.objects.values_list("sku", flat=True)) == ["P-1"]


def test_airings_are_imported_by_a_job(users: dict[str, Any], world: Any) -> None:
    response = post_import(users["admin"], "media/airing", [["station", "starts at", "length (seconds)"],
                                                            ["hunan", "2025-11-24 20:30", 120]])
    job = Job.objects.get()
    assert (response.status_code, job.kind, job.status) == (302, "import.airings", "done")
    assert job.result is not None and job.result["summary"] == (
        "Imported 1 row: 1 created, 0 updated, 0 unchanged, 0 refused.")
    assert Airing.objects.count() == 1


@pytest.mark.parametrize("model", ["crm/customer", "catalog/product", "media/airing"])
def test_an_upload_without_a_file_is_refused_and_queues_nothing(users: dict[str, Any], model: str) -> None:
    response = english_client(users["admin"]).post(admin_url(model, "import"), {})
    assert response.status_code == 200
    assert response.context["form"].errors == {"file": ["This field is required."]}
    assert not Job.objects.exists()


def test_a_file_that_is_not_a_workbook_is_a_job_that_says_so(users: dict[str, Any]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("c.xlsx", b"PK\x03\x04 not really")
    english_client(users["admin"]).post(admin_url("crm/customer", "import"), {"file": upload})
    job = Job.objects.get()
    assert job.result is not None and (job.status, job.result["file_error"], job.result["imported"]) == (
        "done", "The file is not an Excel .xlsx workbook (save it as .xlsx and try again).", False)
