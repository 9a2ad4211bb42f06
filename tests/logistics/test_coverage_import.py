"""Coverage import: places checked against cpca, zones against the courier's fee rates; bad rows listed and
nothing written; a second import of the same file changes nothing; GBK CSV; the back office runs it as a job."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from hotline.accounts.models import AuditEntry
from hotline.jobs.models import Job
from hotline.lib.xlsx import ImportResult
from hotline.logistics.imports import CoverageImport
from hotline.logistics.models import Courier, Coverage, FeeRate
from tests.backoffice.helpers import admin_url, english_client, read_xlsx, xlsx_stream, xlsx_upload

HEADER: list[Any] = ["快递公司", "省", "市", "区/县", "货到付款", "配送天数", "区域"]
GOOD: list[list[Any]] = [HEADER,
        ["ems", "广东省", "深圳市", "南山区", "是", 2, "一区"],
        ["EMS特快专递", "北京市", "", "朝阳区", "否", 3, "二区"],
        ["SF", "广东", "广州", "", "是", "1", "同城"],
        ["sf", "湖北省", "省直辖县级行政区划", "仙桃市", "否", 4, "同城"]]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def couriers(db: None) -> dict[str, Courier]:
    ems = Courier.objects.create(code="ems", name="EMS特快专递", kind="ems")
    sf = Courier.objects.create(code="sf", name="顺丰速运", kind="express")
    for courier, zone in ((ems, "一区"), (ems, "二区"), (sf, "同城")):
        FeeRate.objects.create(courier=courier, zone=zone, first_fee=Decimal("10.00"), step_fee=Decimal("2.00"))
    return {"ems": ems, "sf": sf}


def run(rows: list[list[Any]], actor: Any, *, good_rows: bool = False) -> ImportResult:
    return CoverageImport(actor=actor).run(xlsx_stream(rows), "coverage.xlsx", good_rows=good_rows)


def rows() -> list[tuple[Any, ...]]:
    return list(Coverage.objects.order_by("courier__code", "province", "city", "district").values_list(
        "courier__code", "province", "city", "district", "cod_allowed", "delivery_days", "zone"))


def test_a_good_file_creates_every_row_as_written(couriers: dict[str, Courier], users: dict[str, Any]) -> None:
    result = run(GOOD, users["logistics"])
    assert (result.imported, result.created, result.updated, result.errors) == (True, 4, 0, [])
    assert rows() == [("ems", "北京市", "", "朝阳区", False, 3, "二区"),
                      ("ems", "广东省", "深圳市", "南山区", True, 2, "一区"),
                      ("sf", "广东", "广州", "", True, 1, "同城"),
                      ("sf", "湖北省", "省直辖县级行政区划", "仙桃市", False, 4, "同城")]
    assert list(AuditEntry.objects.values_list("action", "actor__username")) == [
        ("import_coverage", "t_logistics")] * 4


def test_bad_rows_are_listed_and_nothing_is_written(couriers: dict[str, Courier], users: dict[str, Any]) -> None:
    bad = [HEADER,
           ["ems", "广东省", "深圳市", "南山区", "是", 2, "一区"],
           ["dhl", "广东", "深圳", "", "是", 2, "一区"],
           ["ems", "", "深圳", "", "是", 2, "一区"],
           ["ems", "火星省", "", "", "是", 2, "一区"],
           ["ems", "广东", "杭州", "", "是", 2, "一区"],
           ["ems", "广东", "深圳", "朝阳区", "是", 2, "一区"],
           ["ems", "广东", "", "南山区", "是", 2, "一区"],
           ["sf", "广东", "深圳", "", "是", 2, "一区"],
           ["ems", "广东", "珠海", "", "maybe", -1, "一区"],
           ["ems", "广东", "深圳", "南山区", "否", 3, "二区"]]
    result = run(bad, users["logistics"])
    assert (result.imported, result.total, result.bad_rows) == (False, 10, [3, 4, 5, 6, 7, 8, 9, 10, 11])
    assert [str(error) for error in result.errors] == [
        "Row 3, courier: Unknown courier “dhl”: use its code or its name.",
        "Row 4, province: This field is required.",
        "Row 5, province: “火星省” is not a province.",
        "Row 6, city: “杭州” is not a city of 广东.",
        "Row 7, district: “朝阳区” is not a district of 深圳.",
        "Row 8, city: A district needs its city.",
        "Row 9, zone: 顺丰速运 has no fee rate for zone “一区”; add the zone's price first.",
        "Row 10, cash on delivery: “maybe” is not yes or no.",
        "Row 10, delivery days: Delivery days cannot be negative.",
        "Row 11, area: EMS特快专递 广东深圳南山区 is already on row 2 of this file.",
    ]
    assert (Coverage.objects.count(), AuditEntry.objects.count()) == (0, 0)


def test_the_good_rows_can_be_imported_anyway(couriers: dict[str, Courier], users: dict[str, Any]) -> None:
    result = run([HEADER, GOOD[1], ["dhl", "广东", "深圳", "", "是", 2, "一区"]], users["logistics"], good_rows=True)
    assert (result.imported, result.created, result.bad_rows) == (True, 1, [3])
    assert rows() == [("ems", "广东省", "深圳市", "南山区", True, 2, "一区")]


def test_importing_the_same_file_again_changes_nothing(couriers: dict[str, Courier], users: dict[str, Any]) -> None:
    run(GOOD, users["logistics"])
    before, audited = rows(), AuditEntry.objects.count()
    again = run(GOOD, users["logistics"])
    assert (again.imported, again.created, again.updated, again.unchanged) == (True, 0, 0, 4)
    assert (rows(), AuditEntry.objects.count()) == (before, audited)


def test_a_row_matches_its_place_spelt_long_or_short(couriers: dict[str, Courier], users: dict[str, Any]) -> None:
    Coverage.objects.create(courier=couriers["ems"], province="广东", city="深圳", zone="一区", delivery_days=2)
    result = run([HEADER, ["ems", "广东省", "深圳市", "", "否", 4, "二区"]], users["logistics"])
    assert (result.created, result.updated) == (0, 1)
    assert rows() == [("ems", "广东省", "深圳市", "", False, 4, "二区")]
    entry = AuditEntry.objects.get()
    assert entry.before is not None and entry.after is not None
    assert (entry.before["zone"], entry.after["zone"], entry.after["cod_allowed"]) == ("一区", "二区", False)


def test_blank_cells_keep_the_days_and_mean_no_cash(couriers: dict[str, Courier], users: dict[str, Any]) -> None:
    Coverage.objects.create(courier=couriers["ems"], province="广东", city="深圳", zone="一区", delivery_days=2)
    run([HEADER, ["ems", "广东", "深圳", "", "", "", "一区"]], users["logistics"])
    assert rows() == [("ems", "广东", "深圳", "", False, 2, "一区")]


def test_a_gbk_csv_file_is_read(couriers: dict[str, Courier], users: dict[str, Any]) -> None:
    text = "快递公司,省,市,区/县,货到付款,配送天数,区域\r\nems,广东省,深圳市,南山区,是,2,一区\r\n"
    result = CoverageImport(actor=users["logistics"]).run(io.BytesIO(text.encode("gbk")), "覆盖.csv")
    assert (result.imported, result.created, result.errors) == (True, 1, [])
    assert rows() == [("ems", "广东省", "深圳市", "南山区", True, 2, "一区")]


def test_the_export_imports_back_unchanged(couriers: dict[str, Courier], users: dict[str, Any]) -> None:
    run(GOOD, users["logistics"])
    content = CoverageImport.export(Coverage.objects.order_by("id"), user=users["logistics"])
    exported = read_xlsx(content)
    assert exported[:2] == [("courier", "province", "city", "district", "cash on delivery", "delivery days", "zone"),
                            ("ems", "广东省", "深圳市", "南山区", "Yes", 2, "一区")]
    again = CoverageImport(actor=users["logistics"]).run(io.BytesIO(content), "export.xlsx")
    assert (again.imported, again.unchanged, again.errors) == (True, 4, [])


def test_the_back_office_imports_on_the_task_worker(couriers: dict[str, Courier], users: dict[str, Any]) -> None:
    response = english_client(users["logistics"]).post(admin_url("logistics/coverage", "import"),
                                                       {"file": xlsx_upload(GOOD)})
    job = Job.objects.get()
    assert (response.status_code, response["Location"]) == (302, reverse("jobs:job", args=[job.pk]))
    assert job.result is not None and (job.kind, job.status, job.result["summary"]) == (
        "import.coverage", "done", "Imported 4 rows: 4 created, 0 updated, 0 unchanged, 0 refused.")
    assert len(rows()) == 4


def test_the_job_page_offers_to_import_the_good_rows(couriers: dict[str, Courier], users: dict[str, Any]) -> None:
    client = english_client(users["logistics"])
    client.post(admin_url("logistics/coverage", "import"),
                {"file": xlsx_upload([HEADER, GOOD[1], ["dhl", "广东", "深圳", "", "是", 2, "一区"]])})
    job = Job.objects.get()
    assert job.result is not None and job.result["bad_rows"] == [3] and not Coverage.objects.exists()
    response = client.post(reverse("jobs:good_rows", args=[job.pk]))
    assert response.status_code == 302
    assert rows() == [("ems", "广东省", "深圳市", "南山区", True, 2, "一区")]


@pytest.mark.parametrize(("role", "status"), [(None, 302), ("agent", 302), ("supervisor", 403),
                                              ("finance", 403), ("manager", 403), ("logistics", 200), ("admin", 200)])
def test_only_courier_managers_import(role: str | None, status: int, users: dict[str, Any]) -> None:
    response = english_client(users[role] if role else None).get(admin_url("logistics/coverage", "import"))
    assert response.status_code == status


def test_the_export_follows_the_courier_filter(couriers: dict[str, Courier], users: dict[str, Any]) -> None:
    run(GOOD, users["logistics"])
    url = admin_url("logistics/coverage", "export") + f"?courier__id__exact={couriers['sf'].pk}&format=csv"
    response = english_client(users["finance"]).get(url)
    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines == ["courier,province,city,district,cash on delivery,delivery days,zone",
                     "sf,广东,广州,,Yes,1,同城", "sf,湖北省,省直辖县级行政区划,仙桃市,No,4,同城"]


def test_every_bad_cell_of_a_row_is_listed(couriers: dict[str, Courier], users: dict[str, Any]) -> None:
    result = run([HEADER, ["sf", "火星省", "", "", "maybe", 2, "一区"]], users["logistics"])
    assert [str(error) for error in result.errors] == [
        "Row 2, cash on delivery: “maybe” is not yes or no.",
        "Row 2, province: “火星省” is not a province.",
        "Row 2, zone: 顺丰速运 has no fee rate for zone “一区”; add the zone's price first."]
    assert not Coverage.objects.exists()


def test_a_chinese_export_has_the_chinese_headers_and_imports_back(couriers: dict[str, Courier],
                                                                    users: dict[str, Any]) -> None:
    run(GOOD, users["logistics"])
    with translation.override("zh-hans"):
        content = CoverageImport.export(Coverage.objects.order_by("id"), user=users["logistics"], fmt="csv")
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[:2] == ["快递公司,省份,城市,区县,货到付款,配送天数,区域", "ems,广东省,深圳市,南山区,是,2,一区"]
    again = CoverageImport(actor=users["logistics"]).run(io.BytesIO(content), "coverage.csv")
    assert (again.imported, again.unchanged, again.errors) == (True, 4, [])
