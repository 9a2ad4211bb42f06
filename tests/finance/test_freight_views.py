"""The freight tab: access (anonymous, agent, logistics, manager read-only, finance), the upload form's
refusals, the dry run's report on the task worker, the import, and an imported bill's page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from hotline.finance.actions.freight import do_import_freight_bill
from hotline.finance.freight import FreightLine
from hotline.finance.freight_jobs import APPLY, CHECK
from hotline.finance.models import CourierColumns, FreightBill, FreightBillLine, OpenItem
from hotline.jobs.models import Job
from hotline.logistics.models import Shipment
from tests import factories
from tests.finance.world import FinanceWorld, build_finance_world

URL = "/finance/freight/"
D = Decimal


@pytest.fixture
def fw(db: Any) -> FinanceWorld:
    return build_finance_world()


def client_for(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def clerk(fw: FinanceWorld) -> Client:
    return client_for(fw.finance)


def gbk_file(rows: list[str], header: str = "运单号,计费金额,重量", name: str = "ems-11.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\r\n".join([header, *rows]) + "\r\n").encode("gbk"), content_type="text/csv")


def form(fw: FinanceWorld, upload: SimpleUploadedFile, number: str = "EMS-2026-11") -> dict[str, Any]:
    return {"courier": fw.w.ems.pk, "number": number, "period_start": "2026-11-01", "period_end": "2026-11-30",
            "file": upload}


def written() -> tuple[int, int, int, int]:
    return Job.objects.count(), FreightBill.objects.count(), FreightBillLine.objects.count(), OpenItem.objects.count()


def imported_bill(fw: FinanceWorld, parcel: Shipment, number: str = "EMS-2026-10") -> FreightBill:
    bill, _report = do_import_freight_bill(
        fw.w.ems, number=number, period_start=None, period_end=None, file_name="ems-10.csv", actor=fw.finance,
        lines=[FreightLine(2, str(parcel.tracking_number), D("24.00"))])
    return bill


def test_anonymous_is_sent_to_sign_in(db: Any) -> None:
    for url in (URL, f"{URL}1/", f"{URL}jobs/1/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("role", ["agent", "logistics"])
def test_without_finance_403(fw: FinanceWorld, role: str) -> None:
    bill = imported_bill(fw, fw.delivered(fw.w.ems))
    client = client_for(factories.make_user(role))
    before = written()
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{bill.pk}/").status_code == 403
    assert client.post(URL, form(fw, gbk_file([]))).status_code == 403
    assert written() == before


def test_a_manager_sees_the_bills_but_imports_nothing(fw: FinanceWorld, clerk: Client) -> None:
    # given a bill imported, and a finance clerk's dry run of another
    parcel = fw.delivered(fw.w.ems)
    bill = imported_bill(fw, parcel)
    clerk.post(URL, form(fw, gbk_file([f"{parcel.tracking_number},21,2.4"]), number="EMS-2026-11"))
    check = Job.objects.get(kind=CHECK)
    manager = client_for(fw.manager)
    before = written()
    # when the manager looks
    page = manager.get(URL)
    # then the bills, without the form
    assert page.status_code == 200 and 'id="freight-upload"' not in page.content.decode()
    assert "EMS-2026-10" in page.content.decode()
    assert manager.get(f"{URL}{bill.pk}/").status_code == 200
    # and no import of any kind
    assert manager.post(URL, form(fw, gbk_file([f"{parcel.tracking_number},21,2.4"]))).status_code == 403
    assert manager.get(f"{URL}jobs/{check.pk}/").status_code == 403
    assert manager.post(f"{URL}jobs/{check.pk}/apply/").status_code == 403
    assert written() == before


def test_dry_run_report_then_import(fw: FinanceWorld, clerk: Client) -> None:
    # given two EMS parcels at ¥21.00 each
    a, b = fw.delivered(fw.w.ems), fw.delivered(fw.w.ems)
    assert 'id="freight-upload"' in clerk.get(URL).content.decode()
    # when the clerk uploads a bill over-billing b by ¥4 and billing an unknown parcel
    upload = gbk_file([f"{a.tracking_number},21.00,2.4", f"{b.tracking_number},25.00,3", "EMS999999999,8,1"])
    response = clerk.post(URL, form(fw, upload))
    # then the dry run reports, and nothing is written
    check = Job.objects.get(kind=CHECK)
    assert response.status_code == 302 and response["Location"] == f"{URL}jobs/{check.pk}/"
    page = clerk.get(response["Location"]).content.decode()
    assert ("3 lines: billed ¥54.00, Hotline computed ¥42.00, difference ¥-12.00; 2 lines do not agree."
            in page)
    assert 'id="freight-apply"' in page and "EMS999999999" in page and "−¥4.00" in page
    assert FreightBill.objects.count() == 0
    # when imported
    applied = clerk.post(f"{URL}jobs/{check.pk}/apply/")
    job = Job.objects.get(kind=APPLY)
    assert applied["Location"] == f"{URL}jobs/{job.pk}/"
    assert job.status == Job.Status.DONE and (job.result or {})["applied"] is True
    bill = FreightBill.objects.get()
    assert (bill.number, str(bill.period_start), bill.billed_total, bill.computed_total, bill.file_name) == (
        "EMS-2026-11", "2026-11-01", D("54.00"), D("42.00"), "ems-11.csv")
    assert list(OpenItem.objects.order_by("freight_line__line").values_list("tracking_number", "amount")) == [
        (b.tracking_number, D("-4.00")), ("EMS999999999", D("-8.00"))]
    report = clerk.get(applied["Location"]).content.decode()
    assert "3 lines imported: billed ¥54.00, Hotline computed ¥42.00, difference ¥-12.00; 2 open items." in report
    # and the bill's page lists it
    assert f'href="{URL}{bill.pk}/"' in clerk.get(URL).content.decode()
    detail = clerk.get(f"{URL}{bill.pk}/").content.decode()
    assert "−¥12.00" in detail and "EMS999999999" in detail and str(a.tracking_number) not in detail
    assert str(a.tracking_number) in clerk.get(f"{URL}{bill.pk}/?show=all").content.decode()
    # and importing the same dry run again changes nothing
    before = written()
    clerk.post(f"{URL}jobs/{check.pk}/apply/")
    again = Job.objects.filter(kind=APPLY).latest("pk")
    assert (again.result or {})["error"] == "EMS's bill EMS-2026-11 was imported already: nothing was changed."
    assert written()[1:] == before[1:]


def test_the_form_refuses_a_file_that_is_no_spreadsheet_and_a_bill_imported_already(fw: FinanceWorld,
                                                                                     clerk: Client) -> None:
    parcel = fw.delivered(fw.w.ems)
    imported_bill(fw, parcel)
    before = written()
    binary = SimpleUploadedFile("bill.pdf", b"%PDF\x00\x01\x02", content_type="application/pdf")
    response = clerk.post(URL, form(fw, binary))
    assert response.status_code == 422
    assert "The file is neither an Excel .xlsx workbook nor a CSV text file." in response.content.decode()
    response = clerk.post(URL, form(fw, gbk_file([f"{parcel.tracking_number},21,2.4"]), number="EMS-2026-10"))
    assert response.status_code == 422 and "EMS&#x27;s bill EMS-2026-10 was imported already." in (
        response.content.decode())
    response = clerk.post(URL, {**form(fw, gbk_file([])), "period_start": "2026-12-01"})
    assert response.status_code == 422 and "The period ends before it starts." in response.content.decode()
    assert written() == before


def test_columns_not_found_are_mapped_once_and_saved_for_the_courier(fw: FinanceWorld, clerk: Client) -> None:
    # given a bill whose tracking number column has a header nobody knows
    parcel = fw.delivered(fw.w.ems)
    upload = gbk_file([f"{parcel.tracking_number},25.00,99"], header="条码号,结算金额,金额")
    clerk.post(URL, form(fw, upload))
    check = Job.objects.get(kind=CHECK)
    # then the dry run says so and asks which column is which
    page = clerk.get(f"{URL}jobs/{check.pk}/").content.decode()
    assert "Missing column: tracking number（邮件号）. Columns found: 条码号、结算金额、金额." in page
    assert 'id="freight-columns"' in page and 'id="freight-apply"' not in page
    # when the clerk leaves the freight out, or takes one column twice
    columns = f"{URL}jobs/{check.pk}/columns/"
    refused = clerk.post(columns, {"tracking_number": "条码号", "billed": ""})
    assert refused.status_code == 422 and "Choose the column of the freight billed." in refused.content.decode()
    twice = clerk.post(columns, {"tracking_number": "条码号", "billed": "条码号"})
    assert twice.status_code == 422 and "The column “条码号” is chosen twice." in twice.content.decode()
    assert not CourierColumns.objects.exists() and Job.objects.count() == 1
    # when the columns are chosen
    response = clerk.post(columns, {"tracking_number": "条码号", "billed": "结算金额"})
    # then they are saved for EMS and the dry run runs again with them
    again = Job.objects.filter(kind=CHECK).latest("pk")
    assert response["Location"] == f"{URL}jobs/{again.pk}/"
    assert CourierColumns.objects.get(courier=fw.w.ems).freight == {"tracking_number": "条码号", "billed": "结算金额"}
    result = again.result or {}
    assert (result["lines"], result["billed_total"], result["computed_total"]) == (1, "25.00", "21.00")
    # and a manager may not map columns
    assert client_for(fw.manager).post(columns, {"tracking_number": "条码号", "billed": "金额"}).status_code == 403


def test_bad_lines_are_listed_by_the_dry_run_and_cannot_be_imported(fw: FinanceWorld, clerk: Client) -> None:
    parcel = fw.delivered(fw.w.ems)
    clerk.post(URL, form(fw, gbk_file([f"{parcel.tracking_number},abc,2.4", "EMS000000777,-1,1"])))
    check = Job.objects.get(kind=CHECK)
    page = clerk.get(f"{URL}jobs/{check.pk}/").content.decode()
    assert "2 lines cannot be read: correct them in the file and upload it again." in page
    assert "“abc” is not a number." in page and "An amount cannot be negative." in page
    assert 'id="freight-apply"' not in page
    assert FreightBill.objects.count() == 0


def test_the_job_page_answers_htmx_with_its_part(fw: FinanceWorld, clerk: Client) -> None:
    parcel = fw.delivered(fw.w.ems)
    clerk.post(URL, form(fw, gbk_file([f"{parcel.tracking_number},21,2.4"])))
    check = Job.objects.get(kind=CHECK)
    part = clerk.get(f"{URL}jobs/{check.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert part.lstrip().startswith('<section id="job"') and "1 lines: billed ¥21.00" in part
