"""The feedback page: upload with the courier, the dry run's report on the task worker, apply all or only the
good rows; access as anonymous, without permission and with it; bad files refused on the form."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from hotline.jobs.models import Job
from hotline.logistics.feedback import MAX_BYTES
from hotline.logistics.feedback_jobs import APPLY, CHECK
from hotline.logistics.models import Courier, Shipment, ShipmentEvent, ShipmentStatus
from hotline.orders.models import Status
from tests.logistics.conftest_feedback import make_courier, ship

URL = "/logistics/feedback/"


@pytest.fixture
def ems(db: Any) -> Courier:
    return make_courier()


@pytest.fixture
def clerk(users: dict[str, Any]) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(users["logistics"])
    return client


def gbk_file(rows: list[str], name: str = "ems-1201.csv") -> SimpleUploadedFile:
    text = "\r\n".join(["邮件号,订单号,状态,时间,备注", *rows]) + "\r\n"
    return SimpleUploadedFile(name, text.encode("gbk"), content_type="text/csv")


def test_anonymous_is_sent_to_sign_in(db: Any) -> None:
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_without_permission_403(users: dict[str, Any], ems: Courier) -> None:
    client = Client()
    client.force_login(users["agent"])
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"courier": ems.pk, "file": gbk_file([])}).status_code == 403
    assert Job.objects.count() == 0


def test_dry_run_report_then_apply_good_rows(clerk: Client, ems: Courier, english: None) -> None:
    a, b = ship(ems, "EMS000000001CN"), ship(ems, "EMS000000002CN")
    assert clerk.get(URL).status_code == 200
    rows = [f"EMS000000001CN,{a.order.number},妥投,2026-12-01 10:00,", "EMS000000002CN,,拒收,2026-12-01 11:00,太贵",
            "EMS999999999CN,,妥投,2026-12-01 10:00,"]
    response = clerk.post(URL, {"courier": ems.pk, "file": gbk_file(rows)})
    check = Job.objects.get(kind=CHECK)
    assert response.status_code == 302 and response["Location"] == f"{URL}{check.pk}/"
    page = clerk.get(response["Location"]).content.decode()
    assert "3 rows: 2 events to record, 1 problems listed." in page
    assert "No parcel has the tracking number EMS999999999CN." in page
    assert 'value="good"' in page and 'value="all"' not in page
    assert ShipmentEvent.objects.count() == 0
    applied = clerk.post(f"{URL}{check.pk}/apply/", {"mode": "good"})
    job = Job.objects.get(kind=APPLY)
    assert applied["Location"] == f"{URL}{job.pk}/"
    assert job.status == Job.Status.DONE and (job.result or {})["applied"] is True
    assert "3 rows: 2 events recorded, 1 rows skipped." in clerk.get(applied["Location"]).content.decode()
    assert Shipment.objects.get(pk=a.pk).order.status == Status.DELIVERED
    assert Shipment.objects.get(pk=b.pk).status == ShipmentStatus.REFUSED


def test_apply_all_with_problems_applies_nothing(clerk: Client, ems: Courier) -> None:
    ship(ems, "EMS000000001CN")
    clerk.post(URL, {"courier": ems.pk, "file": gbk_file(["EMS000000001CN,,妥投,2026-12-01 10:00,",
                                                          "EMS999999999CN,,妥投,2026-12-01 10:00,"])})
    check = Job.objects.get(kind=CHECK)
    clerk.post(f"{URL}{check.pk}/apply/", {"mode": "all"})
    assert (Job.objects.get(kind=APPLY).result or {})["applied"] is False
    assert ShipmentEvent.objects.count() == 0


def test_wrong_columns_refused_on_the_form(clerk: Client, ems: Courier, english: None) -> None:
    upload = SimpleUploadedFile("x.csv", "邮件号,日期\r\nEMS000000001CN,2026-12-01\r\n".encode("gbk"))
    response = clerk.post(URL, {"courier": ems.pk, "file": upload})
    assert response.status_code == 200
    assert "Missing column: status（状态）. Columns found: 邮件号、日期." in response.content.decode()
    assert Job.objects.count() == 0


def test_file_over_10_mb_refused_on_the_form(clerk: Client, ems: Courier, english: None) -> None:
    upload = SimpleUploadedFile("big.csv", b"x" * (MAX_BYTES + 1))
    response = clerk.post(URL, {"courier": ems.pk, "file": upload})
    assert "The file is larger than 10 MB; split it into smaller files." in response.content.decode()
    assert Job.objects.count() == 0


def test_garbage_refused_on_the_form(clerk: Client, ems: Courier, english: None) -> None:
    upload = SimpleUploadedFile("x.xlsx", bytes(range(256)) * 4)
    response = clerk.post(URL, {"courier": ems.pk, "file": upload})
    assert "The file is neither an Excel .xlsx workbook nor a CSV text file." in response.content.decode()
    assert Job.objects.count() == 0


def test_another_users_job_is_not_shown_without_the_permission(clerk: Client, ems: Courier,
                                                                users: dict[str, Any]) -> None:
    clerk.post(URL, {"courier": ems.pk, "file": gbk_file(["EMS000000001CN,,妥投,2026-12-01 10:00,"])})
    check = Job.objects.get(kind=CHECK)
    other = Client()
    other.force_login(users["finance"])
    assert other.get(f"{URL}{check.pk}/").status_code == 403
