"""The remittances tab: upload a statement, map unknown columns once, read the dry run, apply it (with or
without the missing deliveries), the statements applied, a statement's lines, the differences for the
courier; every screen as anonymous, without permission (agent, logistics), read-only (manager) and with it."""

from __future__ import annotations

import html
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from hotline.finance.models import CourierColumns, OpenItem, Payment, RemittanceStatement
from hotline.finance.remittance_jobs import APPLY, CHECK
from hotline.jobs.models import Job
from hotline.logistics.models import Shipment, ShipmentEvent
from hotline.orders.models import Order, Status
from tests import factories
from tests.finance.world import FinanceWorld, build_finance_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
URL = "/finance/remittances/"
HEADER = "邮件号,订单号,代收金额,手续费,实付金额"


@pytest.fixture
def fw() -> FinanceWorld:
    return build_finance_world()


def client_for(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def cashier(fw: FinanceWorld) -> Client:
    return client_for(fw.finance)


def statement_file(rows: list[str], header: str = HEADER, name: str = "ems-1129.csv") -> SimpleUploadedFile:
    text = "\r\n".join([header, *rows]) + "\r\n"
    return SimpleUploadedFile(name, text.encode("gbk"), content_type="text/csv")


def upload(client: Client, fw: FinanceWorld, rows: list[str], **fields: Any) -> Any:
    data = {"courier": fw.w.ems.pk, "number": "EMS-2026-11-4", "period_start": "2026-11-23",
            "period_end": "2026-11-29", "bank_total": "", "file": statement_file(rows), **fields}
    return client.post(URL, data)


def three_lines(fw: FinanceWorld) -> tuple[list[Shipment], list[str]]:
    """A matched line, a short one and an unknown tracking number."""
    parcels = [fw.delivered(fw.w.ems), fw.delivered(fw.w.ems)]
    rows = [f"{parcels[0].tracking_number},,796.00,11.94,784.06", f"{parcels[1].tracking_number},,790.00,11.85,778.15",
            "EA999999999CN,,100.00,5.00,95.00"]
    return parcels, rows


# ---------------------------------------------------------------- access


def urls(fw: FinanceWorld) -> dict[str, str]:
    """Every page of the tab, with a real job and a real statement behind it."""
    parcel = fw.delivered(fw.w.ems)
    upload(client_for(fw.finance), fw, [f"{parcel.tracking_number},,796.00,11.94,784.06"])
    check = Job.objects.get(kind=CHECK)
    client_for(fw.finance).post(f"{URL}jobs/{check.pk}/apply/", {"mode": "apply"})
    statement = RemittanceStatement.objects.get()
    return {"list": URL, "job": f"{URL}jobs/{check.pk}/", "detail": f"{URL}{statement.pk}/",
            "export": f"{URL}{statement.pk}/differences.xlsx"}


POSTS = ["list", "apply", "columns"]


def post_urls(pages: dict[str, str]) -> dict[str, str]:
    return {"list": pages["list"], "apply": f"{pages['job']}apply/", "columns": f"{pages['job']}columns/"}


def test_anonymous_is_sent_to_sign_in(fw: FinanceWorld) -> None:
    pages = urls(fw)
    anonymous = Client()
    for url in pages.values():
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    for url in post_urls(pages).values():
        assert anonymous.post(url, {"mode": "apply"})["Location"].startswith("/login/"), url


@pytest.mark.parametrize("role", ["agent", "logistics"])
def test_without_the_finance_permission_every_page_is_403(fw: FinanceWorld, role: str) -> None:
    pages = urls(fw)
    jobs = Job.objects.count()
    client = client_for(factories.make_user(role, f"no_{role}"))
    for url in pages.values():
        assert client.get(url).status_code == 403, url
    for url in post_urls(pages).values():
        assert client.post(url, {"mode": "apply"}).status_code == 403, url
    assert client.post(URL, {"courier": fw.w.ems.pk, "number": "X", "file": statement_file([])}).status_code == 403
    assert Job.objects.count() == jobs


def test_a_manager_reads_the_statements_but_does_not_upload_or_apply(fw: FinanceWorld) -> None:
    pages = urls(fw)
    manager = client_for(fw.manager)
    page = manager.get(URL).content.decode()
    assert 'id="remittance-statements"' in page and 'id="remittance-upload"' not in page
    assert manager.get(pages["detail"]).status_code == 200
    assert manager.get(pages["export"]).status_code == 200
    assert manager.get(pages["job"]).status_code == 403
    jobs = Job.objects.count()
    for url in post_urls(pages).values():
        assert manager.post(url, {"mode": "apply"}).status_code == 403, url
    assert Job.objects.count() == jobs


# ---------------------------------------------------------------- the flow


def test_upload_dry_run_apply_list_detail(fw: FinanceWorld, cashier: Client) -> None:
    # given two delivered EMS parcels and a statement paying one in full, one short, and an unknown parcel
    parcels, rows = three_lines(fw)
    assert cashier.get(URL).status_code == 200
    # when the clerk uploads it
    response = upload(cashier, fw, rows, bank_total="1657.21")
    check = Job.objects.get(kind=CHECK)
    assert response.status_code == 302 and response["Location"] == f"{URL}jobs/{check.pk}/"
    # then the dry run lists the counts, the totals and every difference, and nothing is written
    page = cashier.get(response["Location"]).content.decode()
    assert "Statement EMS-2026-11-4, 3 lines: 2 to look at." in page
    assert "<th>Matched</th><td class=\"num\">1</td>" in page and "<th>Short-paid</th><td class=\"num\">1</td>" in page
    assert "¥1,686.00" in page and "¥28.79" in page and "¥1,657.21" in page
    assert "EA999999999CN" in page and str(parcels[1].tracking_number) in page and 'value="apply"' in page
    assert 'value="accept"' not in page  # nothing undelivered
    assert RemittanceStatement.objects.count() == 0 and Payment.objects.count() == 0
    # when the clerk applies it
    applied = cashier.post(f"{URL}jobs/{check.pk}/apply/", {"mode": "apply"})
    job = Job.objects.get(kind=APPLY)
    assert applied["Location"] == f"{URL}jobs/{job.pk}/"
    assert job.status == Job.Status.DONE and (job.result or {})["applied"] is True
    assert "Statement EMS-2026-11-4 applied: 2 payments, 1 orders settled, 2 open items." in cashier.get(
        applied["Location"]).content.decode()
    # then the statement is applied once, the first order settled, the short and the unknown line open
    statement = RemittanceStatement.objects.get()
    assert (statement.number, statement.file_name, statement.net_total, statement.bank_total,
            str(statement.period_start), str(statement.period_end)) == (
        "EMS-2026-11-4", "ems-1129.csv", Decimal("1657.21"), Decimal("1657.21"), "2026-11-23", "2026-11-29")
    assert Order.objects.get(pk=parcels[0].order_id).status == Status.SETTLED
    assert sorted(OpenItem.objects.values_list("kind", "amount")) == [
        ("short", Decimal("6.00")), ("unknown", Decimal("-100.00"))]
    # and the list and the statement's page show it
    listing = cashier.get(URL).content.decode()
    assert f'href="{URL}{statement.pk}/">EMS-2026-11-4</a>' in listing and "2 / 2" in listing
    detail = cashier.get(f"{URL}{statement.pk}/").content.decode()
    assert str(parcels[1].tracking_number) in detail and "EA999999999CN" in detail
    assert str(parcels[0].tracking_number) not in detail  # matched lines only under "every line"
    assert str(parcels[0].tracking_number) in cashier.get(f"{URL}{statement.pk}/?show=all").content.decode()


def test_the_job_page_answers_htmx_with_its_part(fw: FinanceWorld, cashier: Client) -> None:
    _parcels, rows = three_lines(fw)
    upload(cashier, fw, rows)
    check = Job.objects.get(kind=CHECK)
    part = cashier.get(f"{URL}jobs/{check.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert part.lstrip().startswith('<section id="job"') and "<html" not in part


def test_apply_and_record_the_missing_deliveries(fw: FinanceWorld, cashier: Client) -> None:
    parcel = fw.shipped(fw.w.ems)
    upload(cashier, fw, [f"{parcel.tracking_number},,796.00,11.94,784.06"])
    check = Job.objects.get(kind=CHECK)
    page = cashier.get(f"{URL}jobs/{check.pk}/").content.decode()
    assert "Apply and record the missing delivery (1 parcel)" in page
    cashier.post(f"{URL}jobs/{check.pk}/apply/", {"mode": "accept"})
    assert (Job.objects.get(kind=APPLY).result or {})["deliveries"] == 1
    assert ShipmentEvent.objects.filter(shipment=parcel, kind="delivered").count() == 1
    assert Order.objects.get(pk=parcel.order_id).status == Status.SETTLED


def test_applying_twice_from_the_same_dry_run_applies_once(fw: FinanceWorld, cashier: Client) -> None:
    _parcels, rows = three_lines(fw)
    upload(cashier, fw, rows)
    check = Job.objects.get(kind=CHECK)
    cashier.post(f"{URL}jobs/{check.pk}/apply/", {"mode": "apply"})
    again = cashier.post(f"{URL}jobs/{check.pk}/apply/", {"mode": "apply"})
    second = Job.objects.filter(kind=APPLY).order_by("pk").last()
    assert second is not None and (second.result or {})["refusal"].startswith(
        "Statement EMS-2026-11-4 of EMS was already applied on ")
    assert "already applied" in cashier.get(again["Location"]).content.decode()
    assert (RemittanceStatement.objects.count(), Payment.objects.count()) == (1, 2)


def test_an_applied_number_is_refused_on_the_form(fw: FinanceWorld, cashier: Client) -> None:
    _parcels, rows = three_lines(fw)
    upload(cashier, fw, rows)
    cashier.post(f"{URL}jobs/{Job.objects.get(kind=CHECK).pk}/apply/", {"mode": "apply"})
    jobs = Job.objects.count()
    response = upload(cashier, fw, rows)
    assert response.status_code == 400
    assert "Statement EMS-2026-11-4 of EMS was already applied on " in response.content.decode()
    assert Job.objects.count() == jobs


def test_another_couriers_statement_is_refused_by_the_dry_run(fw: FinanceWorld, cashier: Client) -> None:
    parcel = fw.delivered(fw.w.zto)
    upload(cashier, fw, [f"{parcel.tracking_number},,796.00,7.96,788.04"])
    page = cashier.get(f"{URL}jobs/{Job.objects.get(kind=CHECK).pk}/").content.decode()
    assert "The parcels on this statement were carried by ZTO, not EMS." in page
    assert 'value="apply"' not in page


@pytest.mark.parametrize(("content", "message"), [
    (bytes(range(256)) * 4, "The file is neither an Excel .xlsx workbook nor a CSV text file."),
    (b"", "The submitted file is empty."),
])
def test_an_unreadable_file_is_refused_on_the_form(fw: FinanceWorld, cashier: Client, content: bytes,
                                                   message: str) -> None:
    response = cashier.post(URL, {"courier": fw.w.ems.pk, "number": "EMS-1", "file": SimpleUploadedFile("x.xlsx",
                                                                                                      content)})
    assert response.status_code == 400 and message in response.content.decode()
    assert Job.objects.count() == 0


def test_a_period_ending_before_it_starts_is_refused_on_the_form(fw: FinanceWorld, cashier: Client) -> None:
    _parcels, rows = three_lines(fw)
    response = upload(cashier, fw, rows, period_start="2026-11-30")
    assert "The period ends before it starts: check the two dates." in response.content.decode()
    assert Job.objects.count() == 0


def test_unknown_columns_are_mapped_once_then_the_dry_run_continues(fw: FinanceWorld, cashier: Client) -> None:
    # given a courier whose statement names its columns its own way
    parcel = fw.delivered(fw.w.ems)
    header = "序号,邮件号码,代收款额,服务费用,结余"
    upload(cashier, fw, [f"1,{parcel.tracking_number},796.00,11.94,784.06"], file=statement_file(
        [f"1,{parcel.tracking_number},796.00,11.94,784.06"], header=header))
    check = Job.objects.get(kind=CHECK)
    # then the dry run asks which column holds what, offering the file's headers
    page = cashier.get(f"{URL}jobs/{check.pk}/").content.decode()
    assert 'id="remittance-columns"' in page and '<option value="邮件号码">邮件号码</option>' in page
    # a mapping without the amount collected is refused, nothing saved
    refused = cashier.post(f"{URL}jobs/{check.pk}/columns/", {"tracking_number": "邮件号码"})
    assert refused.status_code == 400 and "Choose the column of the amount collected." in refused.content.decode()
    assert CourierColumns.objects.count() == 0
    # when the clerk maps them
    response = cashier.post(f"{URL}jobs/{check.pk}/columns/", {
        "tracking_number": "邮件号码", "collected": "代收款额", "fee": "服务费用", "net": "结余"})
    # then they are saved for the courier and the dry run runs again on the same file
    assert CourierColumns.objects.get(courier=fw.w.ems).remittance == {
        "tracking_number": "邮件号码", "collected": "代收款额", "fee": "服务费用", "net": "结余"}
    again = Job.objects.filter(kind=CHECK).order_by("pk").last()
    assert again is not None and again.pk != check.pk and response["Location"] == f"{URL}jobs/{again.pk}/"
    assert ((again.result or {})["counts"], again.payload["number"]) == ({"matched": 1}, "EMS-2026-11-4")


def test_a_file_with_bad_lines_lists_them(fw: FinanceWorld, cashier: Client) -> None:
    parcel = fw.delivered(fw.w.ems)
    upload(cashier, fw, [f"{parcel.tracking_number},,796.00,11.94,784.06", "EA000000001CN,,abc,1.00,1.00"])
    page = cashier.get(f"{URL}jobs/{Job.objects.get(kind=CHECK).pk}/").content.decode()
    assert "1 lines of the statement are wrong; nothing was imported." in page
    assert 'id="remittance-problems"' in page and 'id="remittance-columns"' not in page


def test_a_number_printed_in_the_file_that_is_not_the_one_typed_is_pointed_out(fw: FinanceWorld,
                                                                                 cashier: Client) -> None:
    parcel = fw.delivered(fw.w.ems)
    rows = [f"{parcel.tracking_number},,796.00,11.94,784.06"]
    upload(cashier, fw, rows, file=statement_file(rows, header=f"结算单号：EMS-2026-11-5\r\n{HEADER}"))
    page = html.unescape(cashier.get(f"{URL}jobs/{Job.objects.get(kind=CHECK).pk}/").content.decode())
    assert ("The file says it is statement EMS-2026-11-5, not EMS-2026-11-4: check the statement number before "
            "applying.") in page
    assert 'value="apply"' in page


def test_a_total_that_does_not_add_up_is_refused_by_the_dry_run(fw: FinanceWorld, cashier: Client) -> None:
    parcel = fw.delivered(fw.w.ems)
    upload(cashier, fw, [f"{parcel.tracking_number},,796.00,11.94,784.06", "合计,,,,800.00"])
    page = html.unescape(cashier.get(f"{URL}jobs/{Job.objects.get(kind=CHECK).pk}/").content.decode())
    assert ("The statement's total ¥800.00 is not the sum of its lines' net amounts ¥784.06 (difference ¥15.94); "
            "nothing was imported.") in page
    assert 'value="apply"' not in page and RemittanceStatement.objects.count() == 0


def test_the_differences_export_for_the_courier(fw: FinanceWorld, cashier: Client) -> None:
    parcels, rows = three_lines(fw)
    upload(cashier, fw, rows, bank_total="1650.00")
    cashier.post(f"{URL}jobs/{Job.objects.get(kind=CHECK).pk}/apply/", {"mode": "apply"})
    statement = RemittanceStatement.objects.get()
    response = cashier.get(f"{URL}{statement.pk}/differences.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert 'filename="ems-EMS-2026-11-4-differences.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][:4] == ["Line", "Tracking number", "Order number", "Difference"]
    assert [row[:9] for row in values[1:]] == [
        [3, parcels[1].tracking_number, parcels[1].order.number, "Short-paid", 796, 790, 11.85, 11.85, 6],
        [4, "EA999999999CN", None, "Unknown tracking number", None, 100, 5, None, -100],
        [None, None, None, "Bank receipt differs from the statement", None, None, None, None, 7.21],
        ["Total", None, None, None, None, None, None, None, -86.79],
    ]


# ---------------------------------------------------------------- money as shown, the counts table, top-ups


def test_amounts_are_shown_as_money_and_the_counts_table_has_its_own_style(fw: FinanceWorld,
                                                                            cashier: Client) -> None:
    # given the dry run of a statement with a matched line, a short one and an unknown parcel
    _parcels, rows = three_lines(fw)
    upload(cashier, fw, rows)
    check = Job.objects.get(kind=CHECK)
    # when the clerk reads it
    page = cashier.get(f"{URL}jobs/{check.pk}/").content.decode()
    # then amounts have the yuan sign and thousands, a shortfall a true minus sign, and the counts a narrow table
    assert '<td class="money">¥796.00</td><td class="money">¥790.00</td><td class="money">−¥6.00</td>' in page
    assert '<td class="money">—</td><td class="money">¥100.00</td>' in page  # the unknown parcel: nothing due
    assert "<b>¥1,686.00</b>" in page and "<b>—</b>" in page  # collected; no bank receipt given
    assert 'class="job-counts remittance-counts grid compact"' in page
    assert 'href="/static/finance/remittance.css"' in page and "style=" not in page
    # and the statement's page after the apply likewise
    cashier.post(f"{URL}jobs/{check.pk}/apply/", {"mode": "apply"})
    statement = RemittanceStatement.objects.get()
    detail = cashier.get(f"{URL}{statement.pk}/?show=all").content.decode()
    assert 'href="/static/finance/remittance.css"' in detail and 'remittance-counts' in detail
    assert "<b>¥1,686.00</b>" in detail and '<td class="money">¥784.06</td>' in detail
    assert '<td class="money">¥1,686.00</td>' in cashier.get(URL).content.decode()


def test_a_top_up_on_a_later_statement_is_matched_and_pays_the_earlier_open_item(fw: FinanceWorld,
                                                                                   cashier: Client) -> None:
    # given a parcel a first statement paid ¥6.00 short
    parcels, rows = three_lines(fw)
    upload(cashier, fw, rows)
    cashier.post(f"{URL}jobs/{Job.objects.get(kind=CHECK).pk}/apply/", {"mode": "apply"})
    # when the next statement pays the ¥6.00 (the fee: the ¥5.00 minimum)
    upload(cashier, fw, [f"{parcels[1].tracking_number},,6.00,5.00,1.00"], number="EMS-2026-12-1")
    check = Job.objects.filter(kind=CHECK).order_by("pk").last()
    assert check is not None
    page = cashier.get(f"{URL}jobs/{check.pk}/").content.decode()
    # then the dry run has nothing to look at; the apply settles the order and pays the earlier short item
    assert "Statement EMS-2026-12-1, 1 lines: 0 to look at." in page
    applied = cashier.post(f"{URL}jobs/{check.pk}/apply/", {"mode": "apply"})
    page = cashier.get(applied["Location"]).content.decode()
    assert "Statement EMS-2026-12-1 applied: 1 payments, 1 orders settled, 0 open items." in page
    assert "<th>Earlier open items paid</th><td class=\"num\">1</td>" in page
    assert Order.objects.get(pk=parcels[1].order_id).status == Status.SETTLED
    assert sorted(OpenItem.objects.values_list("kind", "amount", "status")) == [
        ("short", Decimal("6.00"), "resolved"), ("unknown", Decimal("-100.00"), "open")]
