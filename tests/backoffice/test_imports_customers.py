"""Customer import: every bad row reported with its number and reason; a file with errors imports
nothing unless the good rows are asked for; a re-import updates by phone number instead of duplicating."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from hotline.accounts.models import AuditEntry
from hotline.crm.imports import CustomerImport
from hotline.crm.models import Customer, CustomerPhone
from hotline.jobs.models import Job
from hotline.lib.xlsx import ImportResult
from tests import factories
from tests.backoffice.helpers import admin_url, xlsx_stream, xlsx_upload

HEADER = ["name", "phone", "gender", "birthday", "level", "address"]
GOOD = [
    ["李娜", "13800138001", "female", datetime.date(1980, 5, 1), "VIP", "浙江省杭州市西湖区文三路90号"],
    ["张伟", 13900139000, "male", "1975/12/31", "normal", ""],
]
BAD = [
    ["王芳", "12345", "female", "", "", ""],                                    # bad phone
    ["", "13700137000", "", "", "", ""],                                       # no name
    ["赵强", "13600136000", "", "2025-13-01", "", ""],                           # bad date
    ["钱多", "138-0013-8001", "", "", "", ""],                                  # same number as row 2
    ["孙" * 101, "13500135000", "", "", "", ""],                                # name too long
    ["周杰", "13400134000", "x", "", "", ""],                                   # bad gender
]
EXPECTED_ERRORS = [
    "Row 4, phone: “12345” is not a valid Chinese mobile or landline number.",
    "Row 5, name: This field is required.",
    "Row 6, birthday: “2025-13-01” is not a date (use YYYY-MM-DD).",
    "Row 7, phone: 13800138001 is already on row 2 of this file.",
    "Row 8, name: Ensure this value has at most 100 characters (it has 101).",
    "Row 9, gender: “x” is not one of: Male, Female, Unknown.",
]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def run(rows: list[list[Any]], actor: Any = None, good_rows: bool = False, name: str = "c.xlsx") -> ImportResult:
    return CustomerImport(actor=actor).run(xlsx_stream(rows), name, good_rows=good_rows)


def customers() -> list[tuple[str, list[str]]]:
    return [(c.name, sorted(p.number for p in c.phones.all()))
            for c in Customer.objects.prefetch_related("phones").order_by("name")]


def test_a_clean_file_is_imported(users: dict[str, Any]) -> None:
    result = run([HEADER, *GOOD], actor=users["admin"])
    assert (result.imported, result.created, result.updated, result.errors) == (True, 2, 0, [])
    li = Customer.objects.get(name="李娜")
    assert (li.gender, li.birthday, li.level) == ("f", datetime.date(1980, 5, 1), "vip")
    address = li.addresses.get()
    assert (address.province, address.city, address.district, address.detail) == (
        "浙江", "杭州", "西湖区", "文三路90号")
    assert Customer.objects.get(name="张伟").birthday == datetime.date(1975, 12, 31)
    assert list(AuditEntry.objects.values_list("action", "actor_name")) == [
        ("create_customer", "t_admin"), ("create_customer", "t_admin")]


def test_a_file_with_bad_rows_imports_nothing_and_lists_every_one(users: dict[str, Any]) -> None:
    result = run([HEADER, *GOOD, *BAD], actor=users["admin"])
    assert [str(error) for error in result.errors] == EXPECTED_ERRORS
    assert (result.imported, result.total, result.valid, result.created) == (False, 8, 2, 0)
    assert result.summary() == ("Nothing was imported: 6 of 8 rows have errors. Fix them, or import the valid "
                                "rows anyway.")
    assert not Customer.objects.exists()
    assert not AuditEntry.objects.exists()


def test_the_good_rows_are_imported_when_asked(users: dict[str, Any]) -> None:
    result = run([HEADER, *GOOD, *BAD], actor=users["admin"], good_rows=True)
    assert [str(error) for error in result.errors] == EXPECTED_ERRORS
    assert (result.imported, result.created) == (True, 2)
    assert result.summary() == "Imported 2 rows: 2 created, 0 updated, 0 unchanged, 6 refused."
    assert customers() == [("张伟", ["13900139000"]), ("李娜", ["13800138001"])]


def test_a_file_of_only_bad_rows_imports_nothing_even_when_asked(db: None) -> None:
    result = run([HEADER, BAD[0], BAD[1]], good_rows=True)
    assert (result.imported, result.summary()) == (False, "Nothing was imported: 2 of 2 rows have errors. Fix "
                                                   "them, or import the valid rows anyway.")
    assert not Customer.objects.exists()


def test_reimporting_updates_by_phone_instead_of_duplicating(users: dict[str, Any]) -> None:
    run([HEADER, *GOOD])
    changed = [["李娜", "+86 138 0013 8001, 010-6552-9988", "female", "1980-05-01", "normal",
                "浙江省杭州市西湖区文三路90号"], GOOD[1]]
    result = run([HEADER, *changed], actor=users["admin"])
    assert (result.imported, result.created, result.updated, result.unchanged) == (True, 0, 1, 1)
    assert customers() == [("张伟", ["13900139000"]), ("李娜", ["01065529988", "13800138001"])]
    li = Customer.objects.get(name="李娜")
    assert (li.level, li.addresses.count()) == ("normal", 1)
    assert list(AuditEntry.objects.filter(actor=users["admin"]).order_by("id").values_list("action", flat=True)) == [
        "update_customer", "add_phone"]


def test_an_existing_customer_is_found_by_any_of_their_numbers(world: Any) -> None:
    result = run([["姓名", "手机", "备注"], ["王小明", "138 0013 8000", "prefers mornings"]])
    assert (result.created, result.updated) == (0, 1)
    world.customer.refresh_from_db()
    assert world.customer.notes == "prefers mornings"


def test_numbers_of_two_customers_in_one_row_are_refused(world: Any) -> None:
    factories.make_customer("张伟", phone="13900001111")
    result = run([HEADER[:2], ["李娜", "13800138000, 13900001111"]])
    other = Customer.objects.get(name="张伟")
    assert [str(e) for e in result.errors] == [
        f"Row 2, phone: These numbers belong to several customers (#{world.customer.pk}, #{other.pk}); merge them "
        "or import the row with one number."]
    assert not result.imported


def test_chinese_headers_and_values(db: None) -> None:
    rows = [["姓名", "电话", "性别", "生日", "农历", "会员等级", "会员号", "地址"],
            ["刘洋", "13800138002", "男", "1990年2月3日", "是", "贵宾", "M0100", "北京市朝阳区建国路88号"]]
    result = run(rows)
    assert (result.imported, result.errors) == (True, [])
    liu = Customer.objects.get()
    assert (liu.gender, liu.birthday, liu.birthday_lunar, liu.level, liu.member_no) == (
        "m", datetime.date(1990, 2, 3), True, "vip", "M0100")
    assert liu.addresses.get().district == "朝阳区"


def test_title_rows_above_the_header_and_unknown_columns_are_skipped(db: None) -> None:
    rows = [["2025年11月 客户名单"], [], ["序号", "姓名", "电话", "来源"], [1, "刘洋", "13800138002", "抖音"]]
    result = run(rows)
    assert (result.imported, result.created, customers()) == (True, 1, [("刘洋", ["13800138002"])])


def test_a_duplicate_member_number_is_reported_on_the_second_row(db: None) -> None:
    rows = [["name", "phone", "member number"], ["刘洋", "13800138002", "M1"], ["陈静", "13800138003", "M1"]]
    result = run(rows)
    assert [str(e) for e in result.errors] == ["Row 3, member number: Customer with this Member number already exists."]
    assert not Customer.objects.exists()


@pytest.mark.parametrize(("rows", "name", "message"), [
    ([["name", "gender"], ["刘洋", "male"]], "c.xlsx", "Missing columns: phone."),
    ([["foo", "bar"], ["1", "2"]], "c.xlsx", "No header row found. The first row should name the columns, e.g. name, "
     "phone, gender, birthday, lunar birthday, level, member number, e-mail, address, notes."),
    ([["name", "phone"]], "c.xlsx", "The file has no data rows."),
    ([["name", "phone", "电话"], ["刘洋", "1", "2"]], "c.xlsx", "The column “phone” appears twice."),
    ([["name", "phone"], ["刘洋", "13800138002"]], "c.xls", "Upload an Excel workbook (.xlsx) or a CSV file."),
])
def test_a_file_that_cannot_be_read_is_refused_whole(rows: list[list[Any]], name: str, message: str,
                                                     db: None) -> None:
    result = run(rows, name=name)
    assert (result.file_error, result.imported, result.summary()) == (message, False, message)
    assert not Customer.objects.exists()


def test_a_file_that_is_not_a_workbook(db: None) -> None:
    import io

    result = CustomerImport(actor=None).run(io.BytesIO(b"PK\x03\x04 not really"), "c.xlsx")
    assert result.file_error == "The file is not an Excel .xlsx workbook (save it as .xlsx and try again)."


# ---------------------------------------------------------------- through the back office and the command

def result_of(job: Job) -> dict[str, Any]:
    assert job.result is not None
    return job.result


def job_errors(job: Job) -> list[str]:
    return [f"Row {e['row']}, {e['column']}: {e['message']}" for e in result_of(job)["errors"]]


def test_admin_import_runs_a_job_that_shows_the_bad_rows_and_imports_nothing(
        users: dict[str, Any], client_as: Callable[[str | None], Client]) -> None:
    client = client_as("admin")
    response = client.post(admin_url("crm/customer", "import"), {"file": xlsx_upload([HEADER, *GOOD, *BAD])})
    job = Job.objects.get()
    assert (response.status_code, response["Location"]) == (302, reverse("jobs:job", args=[job.pk]))
    assert (job.kind, job.status, job.created_by, job_errors(job)) == ("import.customers", "done", users["admin"],
                                                                       EXPECTED_ERRORS)
    page = client.get(response["Location"]).content.decode()
    assert "“12345” is not a valid Chinese mobile or landline number." in page
    assert "Import the 2 valid rows anyway" in page
    assert not Customer.objects.exists()


def test_the_job_page_imports_the_good_rows_when_asked(users: dict[str, Any],
                                                       client_as: Callable[[str | None], Client]) -> None:
    client = client_as("admin")
    client.post(admin_url("crm/customer", "import"), {"file": xlsx_upload([HEADER, *GOOD, *BAD])})
    refused = Job.objects.get()
    response = client.post(reverse("jobs:good_rows", args=[refused.pk]))
    again = Job.objects.exclude(pk=refused.pk).get()
    assert (response.status_code, response["Location"]) == (302, reverse("jobs:job", args=[again.pk]))
    assert (again.payload["good_rows"], result_of(again)["summary"]) == (
        True, "Imported 2 rows: 2 created, 0 updated, 0 unchanged, 6 refused.")
    assert customers() == [("张伟", ["13900139000"]), ("李娜", ["13800138001"])]


def test_admin_import_with_the_box_checked_takes_the_good_rows(users: dict[str, Any],
                                                               client_as: Callable[[str | None], Client]) -> None:
    response = client_as("admin").post(admin_url("crm/customer", "import"),
                                       {"file": xlsx_upload([HEADER, *GOOD, *BAD]), "good_rows": "on"})
    assert response.status_code == 302
    job = Job.objects.get()
    assert (result_of(job)["summary"], job_errors(job)) == (
        "Imported 2 rows: 2 created, 0 updated, 0 unchanged, 6 refused.", EXPECTED_ERRORS)
    assert customers() == [("张伟", ["13900139000"]), ("李娜", ["13800138001"])]
    assert set(AuditEntry.objects.values_list("actor_name", flat=True)) == {"t_admin"}


def test_admin_import_of_a_clean_file_links_back_to_the_list(users: dict[str, Any],
                                                             client_as: Callable[[str | None], Client]) -> None:
    client = client_as("admin")
    response = client.post(admin_url("crm/customer", "import"), {"file": xlsx_upload([HEADER, *GOOD])})
    page = client.get(response["Location"])
    assert page.context["result"]["summary"] == "Imported 2 rows: 2 created, 0 updated, 0 unchanged, 0 refused."
    assert f'href="{admin_url("crm/customer")}"' in page.content.decode()
    assert Customer.objects.count() == 2


def test_admin_import_refused_without_permission(users: dict[str, Any],
                                                 client_as: Callable[[str | None], Client]) -> None:
    response = client_as("supervisor").post(admin_url("crm/customer", "import"), {"file": xlsx_upload([HEADER, *GOOD])})
    assert response.status_code == 403
    assert not Customer.objects.exists()
    assert not Job.objects.exists()


def test_command_prints_the_bad_rows_and_fails(tmp_path: Any, capsys: Any, db: None) -> None:
    path = tmp_path / "customers.xlsx"
    path.write_bytes(xlsx_stream([HEADER, *GOOD, *BAD]).getvalue())
    with pytest.raises(CommandError) as failure:
        call_command("importxlsx", "customers", str(path))
    assert str(failure.value) == ("Nothing was imported: 6 of 8 rows have errors. Fix them, or run the command "
                                  "again with --good-rows to import the valid rows.")
    assert capsys.readouterr().err.splitlines() == EXPECTED_ERRORS
    assert not Customer.objects.exists()


def test_command_with_good_rows_imports_them(tmp_path: Any, capsys: Any, users: dict[str, Any]) -> None:
    path = tmp_path / "customers.xlsx"
    path.write_bytes(xlsx_stream([HEADER, *GOOD, *BAD]).getvalue())
    call_command("importxlsx", "customers", str(path), "--good-rows", "--user", "t_admin")
    out = capsys.readouterr()
    assert out.out.strip() == "Imported 2 rows: 2 created, 0 updated, 0 unchanged, 6 refused."
    assert out.err.splitlines() == EXPECTED_ERRORS
    assert Customer.objects.count() == 2
    assert set(AuditEntry.objects.values_list("actor_name", flat=True)) == {"t_admin"}


def test_command_refuses_a_missing_file(tmp_path: Any, db: None) -> None:
    with pytest.raises(CommandError, match="No such file"):
        call_command("importxlsx", "customers", str(tmp_path / "nope.xlsx"))
    assert not CustomerPhone.objects.exists()
