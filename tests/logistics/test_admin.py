"""The logistics back office: every page as anonymous, without and with permission; couriers' push keys shown
once and never audited; form templates validated (translated errors) and previewed as a one-page PDF."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from hotline.accounts.models import AuditEntry
from hotline.logistics.models import (
    Courier,
    Coverage,
    DispatchBatch,
    EventKind,
    EventSource,
    FeeRate,
    FormTemplate,
    OrderTask,
    PrintLog,
    ReturnLine,
    ReturnReceipt,
    ShipmentEvent,
    StockMovement,
)
from tests import factories
from tests.backoffice.helpers import admin_url, english_client, form_data
from tests.conftest import ROLES
from tests.logistics.factories import make_batch, make_courier, make_order, make_parcel

BACK_OFFICE = {"supervisor", "logistics", "finance", "manager", "admin"}
CONFIG = ["logistics/courier", "logistics/coverage", "logistics/formtemplate"]
RECORDS = ["logistics/shipment", "logistics/dispatchbatch", "logistics/stockmovement", "logistics/returnreceipt",
           "logistics/ordertask"]
MANAGERS = {"logistics", "admin"}
TEMPLATE = {"name": "EMS 快递单", "kind": "ems", "page_width_mm": "230", "page_height_mm": "127",
            "offset_x_mm": "0", "offset_y_mm": "0", "draw_frame": "on",
            "fields": json.dumps([{"type": "text", "field": "recipient", "x": 20, "y": 35, "width": 60}])}


@pytest.fixture
def things(users: dict[str, Any]) -> dict[str, int]:
    """One object of every logistics screen."""
    product = factories.make_product("颈椎按摩仪", "398.00")
    customer = factories.make_customer("王小明", "13800138000")
    courier = make_courier("顺丰速运", code="sf")
    order = make_order(customer, (product, 1), number="L0000001")
    parcel = make_parcel(order, courier, status="shipped", tracking="SF1000001")
    batch = make_batch(courier, parcel, number="B0001-SF")
    ShipmentEvent.objects.create(shipment=parcel, kind=EventKind.PICKED_UP, at=parcel.created_at,
                                 source=EventSource.SCAN)
    PrintLog.objects.create(batch=batch, kind="forms", pages=1, actor=users["logistics"])
    movement = StockMovement.objects.create(product=product, kind="received", quantity=10, note="进货")
    receipt = ReturnReceipt.objects.create(order=order, shipment=parcel, received_by=users["logistics"])
    ReturnLine.objects.create(receipt=receipt, order_line=order.lines.get(), quantity=1, condition="good")
    task = OrderTask.objects.create(order=order, kind="rescue", reason="拒收")
    template = FormTemplate.objects.create(name="送货单", kind="note", page_width_mm=Decimal("210"),
                                           page_height_mm=Decimal("140"),
                                           fields=[{"type": "text", "field": "recipient", "x": 20, "y": 30}])
    return {"logistics/courier": courier.pk, "logistics/coverage": courier.coverage.get().pk,
            "logistics/formtemplate": template.pk, "logistics/shipment": parcel.pk,
            "logistics/dispatchbatch": batch.pk, "logistics/stockmovement": movement.pk,
            "logistics/returnreceipt": receipt.pk, "logistics/ordertask": task.pk}


@pytest.fixture
def client_as(users: dict[str, Any]) -> Callable[[str | None], Client]:
    return lambda role: english_client(users[role] if role else None)


def expected(role: str | None, allowed: set[str]) -> int:
    """302 to sign in for anonymous and agents (not back-office staff), else 200 or 403."""
    if role is None or role not in BACK_OFFICE:
        return 302
    return 200 if role in allowed else 403


@pytest.mark.parametrize("role", [None, *ROLES])
@pytest.mark.parametrize("screen", CONFIG + RECORDS)
def test_lists_and_pages_are_for_everyone_who_sees_the_workbench(
        screen: str, role: str | None, client_as: Callable[[str | None], Client], things: dict[str, int]) -> None:
    client = client_as(role)
    assert client.get(admin_url(screen)).status_code == expected(role, BACK_OFFICE)
    assert client.get(admin_url(screen, "change", things[screen])).status_code == expected(role, BACK_OFFICE)


@pytest.mark.parametrize("role", [None, *ROLES])
@pytest.mark.parametrize("screen", CONFIG + RECORDS)
def test_only_courier_managers_add_configuration_and_nobody_adds_records(
        screen: str, role: str | None, client_as: Callable[[str | None], Client], users: dict[str, Any]) -> None:
    allowed = MANAGERS if screen in CONFIG else set()
    assert client_as(role).get(admin_url(screen, "add")).status_code == expected(role, allowed)


@pytest.mark.parametrize("screen", RECORDS)
def test_records_cannot_be_changed_or_deleted_even_by_admin(screen: str, client_as: Callable[[str | None], Client],
                                                           things: dict[str, int]) -> None:
    client = client_as("admin")
    assert client.post(admin_url(screen, "delete", things[screen]), {"post": "yes"}).status_code == 403
    assert client.post(admin_url(screen, "change", things[screen]), {}).status_code == 403
    assert StockMovement.objects.count() == 1 and ShipmentEvent.objects.count() == 1


def test_a_reader_cannot_change_a_courier(client_as: Callable[[str | None], Client], things: dict[str, int]) -> None:
    pk = things["logistics/courier"]
    response = client_as("finance").post(admin_url("logistics/courier", "change", pk), {"name": "改名"})
    assert response.status_code == 403
    assert Courier.objects.get(pk=pk).name == "顺丰速运"


def test_shipments_are_found_by_tracking_or_order_number(client_as: Callable[[str | None], Client],
                                                         things: dict[str, int]) -> None:
    client = client_as("logistics")
    for term in ("SF1000001", "L0000001"):
        response = client.get(admin_url("logistics/shipment") + f"?q={term}")
        assert [row.pk for row in response.context["cl"].result_list] == [things["logistics/shipment"]]
    assert list(client.get(admin_url("logistics/shipment") + "?q=SF9").context["cl"].result_list) == []


def test_coverage_is_filtered_by_courier_and_searched_by_place(client_as: Callable[[str | None], Client],
                                                               things: dict[str, int]) -> None:
    other = make_courier("EMS特快专递", "ems", code="ems", province="北京", city="北京")
    client = client_as("logistics")
    response = client.get(admin_url("logistics/coverage") + f"?courier__id__exact={other.pk}")
    assert [row.courier_id for row in response.context["cl"].result_list] == [other.pk]
    response = client.get(admin_url("logistics/coverage") + "?q=深圳")
    assert [row.pk for row in response.context["cl"].result_list] == [things["logistics/coverage"]]


# ---------------------------------------------------------------- push keys


def issue_keys(client: Client, *pks: int) -> Any:
    return client.post(admin_url("logistics/courier"), {"action": "issue_push_keys",
                                                        "_selected_action": [str(pk) for pk in pks]})


def test_push_keys_are_shown_once_and_never_audited(client_as: Callable[[str | None], Client],
                                                    things: dict[str, int]) -> None:
    pk = things["logistics/courier"]
    client = client_as("logistics")
    response = issue_keys(client, pk)
    courier = Courier.objects.get(pk=pk)
    page = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert courier.api_key and len(courier.api_secret) >= 40
    assert re.findall(r'class="push-key">([^<]+)<', page) == [courier.api_key]
    assert re.findall(r'class="push-secret">([^<]+)<', page) == [courier.api_secret]
    entry = AuditEntry.objects.get(action="issue_courier_keys")
    assert entry.actor is not None and entry.after is not None
    assert (entry.actor.username, entry.after["api_key"], entry.after["api_secret"]) == (
        "t_logistics", courier.api_key, "***")
    assert courier.api_secret not in json.dumps([entry.before, entry.after])
    change_page = client.get(admin_url("logistics/courier", "change", pk)).content.decode()
    assert courier.api_secret not in change_page and "Set" in change_page
    assert courier.api_secret not in client.get(admin_url("logistics/courier")).content.decode()


def test_new_keys_replace_the_old_ones(client_as: Callable[[str | None], Client], things: dict[str, int]) -> None:
    pk = things["logistics/courier"]
    client = client_as("admin")
    issue_keys(client, pk)
    first = Courier.objects.values_list("api_key", "api_secret").get(pk=pk)
    issue_keys(client, pk)
    second = Courier.objects.values_list("api_key", "api_secret").get(pk=pk)
    assert first[0] != second[0] and first[1] != second[1]
    before = AuditEntry.objects.filter(action="issue_courier_keys").order_by("id").last()
    assert before is not None and before.before is not None and before.before["api_secret"] == "***"


def test_a_reader_cannot_generate_keys(client_as: Callable[[str | None], Client], things: dict[str, int]) -> None:
    issue_keys(client_as("finance"), things["logistics/courier"])
    assert Courier.objects.get(pk=things["logistics/courier"]).api_secret == ""
    assert not AuditEntry.objects.filter(action="issue_courier_keys").exists()


def test_editing_a_courier_keeps_its_secret_out_of_the_audit_log(client_as: Callable[[str | None], Client],
                                                                 things: dict[str, int]) -> None:
    pk = things["logistics/courier"]
    client = client_as("logistics")
    issue_keys(client, pk)
    secret = Courier.objects.get(pk=pk).api_secret
    url = admin_url("logistics/courier", "change", pk)
    response = client.post(url, form_data(client.get(url), contact_name="黄小姐"))
    assert response.status_code == 302
    courier = Courier.objects.get(pk=pk)
    assert (courier.contact_name, courier.api_secret) == ("黄小姐", secret)
    entry = AuditEntry.objects.filter(object_type="logistics.courier").order_by("id").last()
    assert entry is not None and entry.action == "change" and secret not in json.dumps([entry.before, entry.after])


@pytest.mark.parametrize(("columns", "error"), [
    ("[1, 2]", "Enter a JSON object, like the example."),
    ('{"waybill": "单号"}', "Unknown column “waybill”; use tracking_number, order_number, status, at, reason."),
    ('{"statuses": {"签收": "signed"}}', "“签收”: unknown event “signed”."),
])
def test_feedback_columns_are_checked(columns: str, error: str, client_as: Callable[[str | None], Client],
                                      things: dict[str, int]) -> None:
    pk = things["logistics/courier"]
    client = client_as("logistics")
    url = admin_url("logistics/courier", "change", pk)
    response = client.post(url, form_data(client.get(url), feedback_columns=columns))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["feedback_columns"] == [error]
    assert Courier.objects.get(pk=pk).feedback_columns == {}


def test_feedback_columns_are_saved(client_as: Callable[[str | None], Client], things: dict[str, int]) -> None:
    pk = things["logistics/courier"]
    client = client_as("logistics")
    url = admin_url("logistics/courier", "change", pk)
    columns = {"tracking_number": "邮件号码", "status": ["邮件状态", "状态"], "statuses": {"妥投": "delivered"}}
    response = client.post(url, form_data(client.get(url), feedback_columns=json.dumps(columns)))
    assert response.status_code == 302
    assert Courier.objects.get(pk=pk).feedback_columns == columns


# ---------------------------------------------------------------- coverage by hand


def test_coverage_added_by_hand_is_checked_like_the_import(client_as: Callable[[str | None], Client],
                                                           things: dict[str, int]) -> None:
    courier = things["logistics/courier"]
    client = client_as("logistics")
    row = {"courier": str(courier), "province": "广东", "city": "杭州", "district": "", "cod_allowed": "on",
           "delivery_days": "2", "zone": "Z"}
    response = client.post(admin_url("logistics/coverage", "add"), row)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "city": ["“杭州” is not a city of 广东."],
        "zone": ["顺丰速运 has no fee rate for zone “Z”; add the zone's price first."]}
    response = client.post(admin_url("logistics/coverage", "add"), {**row, "city": "广州", "zone": "A"})
    assert response.status_code == 302
    added = Coverage.objects.get(city="广州")
    assert AuditEntry.objects.filter(action="add_coverage", object_id=str(added.pk)).count() == 1


# ---------------------------------------------------------------- form templates


def test_a_bad_template_is_refused_with_every_problem(client_as: Callable[[str | None], Client],
                                                      users: dict[str, Any]) -> None:
    fields = json.dumps([{"type": "stamp", "x": 1, "y": 1}, {"type": "text", "field": "recipient", "x": 300, "y": 5}])
    response = client_as("logistics").post(admin_url("logistics/formtemplate", "add"), {**TEMPLATE, "fields": fields})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["fields"] == [
        "Entry 1: unknown type “stamp”; use one of text, amount_words, barcode, qr, box, line, caption.",
        "Entry 2 lies outside the 230 × 127 mm page."]
    assert not FormTemplate.objects.exists()


def test_the_template_error_is_translated(users: dict[str, Any]) -> None:
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(users["logistics"])
    fields = json.dumps([{"type": "stamp", "x": 1, "y": 1}])
    response = client.post(admin_url("logistics/formtemplate", "add"), {**TEMPLATE, "fields": fields})
    assert response.context["adminform"].form.errors["fields"] == [
        "第 1 项：未知类型“stamp”；可用类型：text, amount_words, barcode, qr, box, line, caption。"]


def test_a_good_template_is_saved_and_audited(client_as: Callable[[str | None], Client], users: dict[str, Any]) -> None:
    response = client_as("logistics").post(admin_url("logistics/formtemplate", "add"), TEMPLATE)
    assert response.status_code == 302
    template = FormTemplate.objects.get()
    assert template.fields == [{"type": "text", "field": "recipient", "x": 20, "y": 35, "width": 60}]
    assert AuditEntry.objects.filter(action="add", object_type="logistics.formtemplate").count() == 1


@pytest.mark.parametrize("role", [None, *ROLES])
def test_the_preview_is_a_one_page_pdf_for_courier_managers(role: str | None, things: dict[str, int],
                                                            client_as: Callable[[str | None], Client]) -> None:
    response = client_as(role).get(admin_url("logistics/formtemplate", "preview", things["logistics/formtemplate"]))
    assert response.status_code == expected(role, MANAGERS)
    if response.status_code == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert len(re.findall(rb"/Type /Page\b(?!s)", response.content)) == 1


def test_the_preview_of_a_missing_template_is_not_found(client_as: Callable[[str | None], Client],
                                                        users: dict[str, Any]) -> None:
    assert client_as("logistics").get(admin_url("logistics/formtemplate", "preview", 999)).status_code == 404


def test_the_template_page_links_to_its_preview(client_as: Callable[[str | None], Client],
                                                things: dict[str, int]) -> None:
    pk = things["logistics/formtemplate"]
    page = client_as("logistics").get(admin_url("logistics/formtemplate", "change", pk)).content.decode()
    assert admin_url("logistics/formtemplate", "preview", pk) in page


def test_batches_list_their_parcels_and_prints(client_as: Callable[[str | None], Client],
                                               things: dict[str, int]) -> None:
    client = client_as("manager")
    response = client.get(admin_url("logistics/dispatchbatch"))
    assert [(row.number, row.parcel_count) for row in response.context["cl"].result_list] == [("B0001-SF", 1)]
    page = client.get(admin_url("logistics/dispatchbatch", "change", things["logistics/dispatchbatch"]))
    assert [len(inline.formset.forms) for inline in page.context["inline_admin_formsets"]] == [1]
    assert DispatchBatch.objects.count() == 1


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_screen_renders_in_both_languages(language: str, users: dict[str, Any], things: dict[str, int]) -> None:
    client = Client(headers={"accept-language": language})
    client.force_login(users["admin"])
    urls = [*(admin_url(screen) for screen in things),
            *(admin_url(screen, "change", pk) for screen, pk in things.items()),
            *(admin_url(screen, "add") for screen in CONFIG), admin_url("logistics/coverage", "import")]
    for url in urls:
        response = client.get(url)
        assert (response.status_code, response.headers["Content-Language"]) == (200, language), url


def test_the_courier_list_links_to_its_coverage_in_chinese(users: dict[str, Any], things: dict[str, int]) -> None:
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(users["logistics"])
    page = client.get(admin_url("logistics/courier")).content.decode()
    link = admin_url("logistics/coverage") + f"?courier__id__exact={things['logistics/courier']}"
    assert f'<a href="{link}">1 个区域</a>' in page and "未设置" in page and "生成推送密钥" in page


def test_a_template_needs_a_page(client_as: Callable[[str | None], Client], users: dict[str, Any]) -> None:
    response = client_as("logistics").post(admin_url("logistics/formtemplate", "add"),
                                           {**TEMPLATE, "page_height_mm": "0"})
    assert response.context["adminform"].form.errors == {"page_height_mm": ["The page needs a width and a height."]}
    assert not FormTemplate.objects.exists()


def test_a_zone_in_use_keeps_its_price(client_as: Callable[[str | None], Client], things: dict[str, int]) -> None:
    pk = things["logistics/courier"]
    client = client_as("logistics")
    url = admin_url("logistics/courier", "change", pk)
    response = client.post(url, form_data(client.get(url), **{"fee_rates-0-DELETE": "on"}))
    assert response.status_code == 200
    [inline] = response.context["inline_admin_formsets"]
    assert inline.formset.non_form_errors() == [
        "Zone “A” is used by 1 coverage row; change it to another zone first."]
    assert list(FeeRate.objects.filter(courier_id=pk).values_list("zone", flat=True)) == ["A"]


def test_an_unused_zone_is_removed_and_audited(client_as: Callable[[str | None], Client],
                                               things: dict[str, int]) -> None:
    pk = things["logistics/courier"]
    spare = FeeRate.objects.create(courier_id=pk, zone="B", first_fee=Decimal("9.00"), step_fee=Decimal("1.00"))
    client = client_as("logistics")
    url = admin_url("logistics/courier", "change", pk)
    response = client.post(url, form_data(client.get(url), **{"fee_rates-1-DELETE": "on"}))
    assert response.status_code == 302
    assert list(FeeRate.objects.filter(courier_id=pk).values_list("zone", flat=True)) == ["A"]
    assert AuditEntry.objects.filter(action="delete", object_type="logistics.feerate",
                                     object_id=str(spare.pk)).count() == 1
