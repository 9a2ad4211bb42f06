"""The open items tab (/finance/open_items/) as anonymous, agent, logistics, manager (sees and exports, cannot
resolve) and finance: filters, totals per courier, resolving in place (htmx row swap), and the courier's
workbook."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from openpyxl import load_workbook

from hotline.accounts.models import AuditEntry
from hotline.finance.actions.open_items import do_resolve_open_item
from hotline.finance.models import OpenItem, OpenItemKind, OpenItemStatus
from tests.finance.world import FinanceWorld, build_finance_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
D = Decimal
LIST = "/finance/open_items/"


@pytest.fixture
def fw() -> FinanceWorld:
    return build_finance_world()


@pytest.fixture
def items(fw: FinanceWorld) -> dict[str, OpenItem]:
    """EMS owes ¥96 short and ¥11.94 of fee, and we owe it ¥4 over-paid; ZTO has an unknown line of ¥50;
    an older EMS item was resolved already. Written directly: the remittance import is tested elsewhere."""
    order = fw.w.place()
    w = fw.w

    def item(courier: Any, kind: str, tracking: str, amount: str, detail: str = "", **fields: Any) -> OpenItem:
        return OpenItem.objects.create(courier=courier, kind=kind, tracking_number=tracking, amount=D(amount),
                                       detail=detail, **fields)

    made = {"short": item(w.ems, OpenItemKind.SHORT, "EA001", "96.00", "代收 ¥700.00，应收 ¥796.00", order=order),
            "fee": item(w.ems, OpenItemKind.FEE, "EA002", "11.94", "手续费 ¥23.88，按约定 ¥11.94"),
            "over": item(w.ems, OpenItemKind.OVER, "EA003", "-4.00", "多付 ¥4.00"),
            "unknown": item(w.zto, OpenItemKind.UNKNOWN, "ZT404", "50.00", "无此单号"),
            "old": item(w.ems, OpenItemKind.SHORT, "EA000", "10.00")}
    do_resolve_open_item(made["old"], resolution="paid in November", actor=fw.finance)
    return made


def client_for(user: Any = None, *, htmx: bool = False) -> Client:
    client = Client(headers={"accept-language": "en", **({"hx-request": "true"} if htmx else {})})
    if user is not None:
        client.force_login(user)
    return client


def written() -> dict[str, Any]:
    return {"items": list(OpenItem.objects.order_by("pk").values_list("pk", "status", "resolution")),
            "audit": AuditEntry.objects.count()}


# ---------------------------------------------------------------- access

def test_anonymous_users_are_sent_to_sign_in(fw: FinanceWorld, items: dict[str, OpenItem]) -> None:
    before = written()
    pk = items["short"].pk
    for url in (LIST, f"/finance/open_items/export/{fw.w.ems.pk}.xlsx"):
        response = client_for().get(url)
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={quote(url)}")
    for url in (f"/finance/open_items/{pk}/resolve", f"/finance/open_items/{items['old'].pk}/reopen"):
        response = client_for().post(url, {"resolution": "paid", "reason": "no"})
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={quote(url)}")
    assert written() == before


@pytest.mark.parametrize("role", ["agent", "logistics", "supervisor"])
def test_users_without_finance_get_403_and_nothing_changes(fw: FinanceWorld, items: dict[str, OpenItem],
                                                          users: dict[str, Any], role: str) -> None:
    before = written()
    client = client_for(users[role])
    assert client.get(LIST).status_code == 403
    assert client.get(f"/finance/open_items/export/{fw.w.ems.pk}.xlsx").status_code == 403
    assert client.post(f"/finance/open_items/{items['short'].pk}/resolve", {"resolution": "paid"}).status_code == 403
    assert written() == before


def test_a_manager_sees_and_exports_but_may_not_resolve(fw: FinanceWorld, items: dict[str, OpenItem],
                                                       users: dict[str, Any]) -> None:
    client = client_for(users["manager"])
    page = client.get(LIST)
    assert page.status_code == 200
    assert "/resolve" not in page.content.decode()
    assert client.get(f"/finance/open_items/export/{fw.w.ems.pk}.xlsx").status_code == 200
    before = written()
    assert client.post(f"/finance/open_items/{items['short'].pk}/resolve", {"resolution": "paid"}).status_code == 403
    assert client.post(f"/finance/open_items/{items['old'].pk}/reopen", {"reason": "no"}).status_code == 403
    assert written() == before


# ---------------------------------------------------------------- the list

def test_the_open_items_are_listed_by_default_with_totals_per_courier(fw: FinanceWorld,
                                                                      items: dict[str, OpenItem]) -> None:
    response = client_for(fw.finance).get(LIST)
    context = response.context
    assert {item.pk for item in context["page_obj"].object_list} == {
        items[name].pk for name in ("short", "fee", "over", "unknown")}
    assert [(row["courier__name"], row["n"], row["total"]) for row in context["totals"]] == [
        ("EMS", 3, D("103.94")), ("ZTO", 1, D("50.00"))]
    assert (context["grand_count"], context["grand_total"]) == (4, D("153.94"))
    html = response.content.decode()
    assert "¥103.94" in html and 'id="grand-total">¥153.94<' in html
    assert f"/finance/open_items/export/{fw.w.ems.pk}.xlsx" in html


@pytest.mark.parametrize(("query", "names"), [
    ({"courier": "zto"}, ["unknown"]),
    ({"kind": "short"}, ["short"]),
    ({"kind": "short", "status": "all"}, ["short", "old"]),
    ({"status": "resolved"}, ["old"]),
    ({"status": "bogus"}, ["short", "fee", "over", "unknown"]),  # a bad filter is shown and left out
])
def test_the_filters(fw: FinanceWorld, items: dict[str, OpenItem], query: dict[str, str], names: list[str]) -> None:
    if query.get("courier") == "zto":
        query = {**query, "courier": str(fw.w.zto.pk)}
    response = client_for(fw.finance).get(LIST, query)
    assert response.status_code == 200
    assert {item.pk for item in response.context["page_obj"].object_list} == {items[name].pk for name in names}


# ---------------------------------------------------------------- resolving

def test_htmx_resolves_an_item_and_gets_its_row_back(fw: FinanceWorld, items: dict[str, OpenItem]) -> None:
    item = items["short"]
    response = client_for(fw.finance, htmx=True).post(f"/finance/open_items/{item.pk}/resolve",
                                                      {"resolution": "EMS paid ¥96 on 12-08"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith(f'<tr id="open-item-{item.pk}" data-status="resolved">')
    assert "EMS paid ¥96 on 12-08" in html and "Open item resolved." in html
    item.refresh_from_db()
    assert (item.status, item.resolution, item.resolved_by) == (OpenItemStatus.RESOLVED, "EMS paid ¥96 on 12-08",
                                                                fw.finance)


def test_a_resolution_without_a_note_answers_422_in_the_row(fw: FinanceWorld, items: dict[str, OpenItem]) -> None:
    item = items["short"]
    before = written()
    response = client_for(fw.finance, htmx=True).post(f"/finance/open_items/{item.pk}/resolve", {"resolution": " "})
    html = response.content.decode()
    assert response.status_code == 422
    assert html.startswith(f'<tr id="open-item-{item.pk}" data-status="open">')
    assert "Write how this difference was settled." in html
    assert written() == before


def test_resolving_a_resolved_item_answers_422_and_keeps_the_first_note(fw: FinanceWorld,
                                                                        items: dict[str, OpenItem]) -> None:
    before = written()
    for htmx in (True, False):
        response = client_for(fw.finance, htmx=htmx).post(f"/finance/open_items/{items['old'].pk}/resolve",
                                                          {"resolution": "again"})
        assert response.status_code == 422
        assert "This open item was resolved already." in response.content.decode()
    assert written() == before


def test_without_htmx_a_resolution_lands_back_on_the_list(fw: FinanceWorld, items: dict[str, OpenItem]) -> None:
    client = client_for(fw.finance)
    response = client.post(f"/finance/open_items/{items['fee'].pk}/resolve", {"resolution": "fee refunded"})
    assert (response.status_code, response["Location"]) == (302, LIST)
    assert "Open item resolved." in client.get(LIST).content.decode()


def test_a_resolved_item_is_opened_again(fw: FinanceWorld, items: dict[str, OpenItem]) -> None:
    item = items["old"]
    client = client_for(fw.finance, htmx=True)
    empty = client.post(f"/finance/open_items/{item.pk}/reopen", {"reason": ""})
    assert (empty.status_code, "Say why this item is open again." in empty.content.decode()) == (422, True)
    response = client.post(f"/finance/open_items/{item.pk}/reopen", {"reason": "not paid after all"})
    assert response.status_code == 200
    assert response.content.decode().startswith(f'<tr id="open-item-{item.pk}" data-status="open">')
    item.refresh_from_db()
    assert (item.status, item.resolution) == (OpenItemStatus.OPEN, "")


# ---------------------------------------------------------------- export

def test_the_courier_gets_its_open_items_as_a_workbook(fw: FinanceWorld, items: dict[str, OpenItem]) -> None:
    response = client_for(fw.finance).get(f"/finance/open_items/export/{fw.w.ems.pk}.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith('attachment; filename="open-items-ems-')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [tuple(cell.value for cell in row) for row in sheet.iter_rows()]
    order = items["short"].order
    assert order is not None
    number = order.number
    assert rows == [
        ("Tracking number", "Order", "Difference", "Amount (¥)", "Detail", "Statement"),
        ("EA001", number, "Short-paid", 96, "代收 ¥700.00，应收 ¥796.00", None),
        ("EA002", None, "COD fee differs from the courier's rule", 11.94, "手续费 ¥23.88，按约定 ¥11.94", None),
        ("EA003", None, "Over-paid", -4, "多付 ¥4.00", None),
    ]


def test_an_unknown_courier_is_404(fw: FinanceWorld) -> None:
    assert client_for(fw.finance).get("/finance/open_items/export/999999.xlsx").status_code == 404
