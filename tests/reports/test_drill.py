"""The shared drill-downs return exactly the rows a figure is made of; bad parameters are a clear 400."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from hotline.calls.models import Callback, CallbackReason, CallbackStatus, Queue
from hotline.orders.models import Order, OrderLine
from hotline.reports import drill, drills
from hotline.reports.models import CallFact, HandlingFact, VisitFact
from hotline.reports.tables import Drill
from tests import factories

pytestmark = pytest.mark.django_db

DAY = timezone.make_aware(datetime.datetime(2026, 3, 2))


def at(hours: float) -> datetime.datetime:
    return DAY + datetime.timedelta(hours=hours)


def span(first: float = 0, last: float = 24) -> dict[str, str]:
    return {"start": at(first).isoformat(), "end": at(last).isoformat()}


@pytest.fixture
def media(db: Any) -> dict[str, Any]:
    hunan = factories.make_station("hunan", "湖南卫视")
    zhejiang = factories.make_station("zj", "浙江卫视")
    numbers = {"hunan": factories.make_hotline("4008001000", hunan),
               "zj": factories.make_hotline("4008002000", zhejiang), "bare": factories.make_hotline("4008003000")}
    airing = factories.make_airing(hunan, starts_at=at(20))
    for name in ("sales", "service"):
        Queue.objects.create(name=name)
    return {"hunan": hunan, "zj": zhejiang, "numbers": numbers, "airing": airing}


def ids(name: str, params: dict[str, str], key: str = "call_id") -> list[str]:
    function = drill.find(name)
    assert function is not None
    found = function(params)
    rows = list(found.rows)
    assert found.count == len(rows)
    assert list(found.rows[0:2]) == rows[:2]  # type: ignore[index]
    return [str(row[key]) for row in rows]


def call(call_id: str, hours: float, media: dict[str, Any], **fields: Any) -> CallFact:
    return CallFact.objects.create(call_id=call_id, arrived_at=at(hours), **fields)


def test_calls(media: dict[str, Any]) -> None:
    airing, hunan, zj, numbers = media["airing"], media["hunan"], media["zj"], media["numbers"]
    call("c1", 20.1, media, airing=airing, station=hunan, hotline_number=numbers["hunan"], outcome="answered",
         queue="sales", agent_key="a1", wait_ms=4000, talk_ms=90_000)
    call("c2", 20.2, media, airing=airing, station=hunan, hotline_number=numbers["hunan"], outcome="abandoned_in_queue",
         queue="sales", wait_ms=30_000)
    call("c3", 9, media, station=zj, hotline_number=numbers["zj"], outcome="abandoned_in_ivr",
         ivr_last_node="main/menu")
    call("c4", 21, media, hotline_number=numbers["bare"], outcome="callback", queue="service", callback_id=7)
    call("c5", 22, media, outcome="", direction="outbound", queue="service", agent_key="a2")
    call("c6", 24.5, media, airing=airing, station=hunan, outcome="answered", queue="sales", agent_key="a1")
    assert ids("calls", span()) == ["c3", "c1", "c2", "c4", "c5"]
    assert ids("calls", {}) == ["c3", "c1", "c2", "c4", "c5", "c6"]
    assert ids("calls", {**span(), "airing": str(airing.pk)}) == ["c1", "c2"]
    assert ids("calls", {**span(), "airing": "none"}) == ["c3", "c4", "c5"]
    assert ids("calls", {**span(), "station": str(zj.pk)}) == ["c3"]
    assert ids("calls", {**span(), "station": "none"}) == ["c4", "c5"]
    assert ids("calls", {"hotline_number": str(numbers["hunan"].pk)}) == ["c1", "c2"]
    assert ids("calls", {**span(), "queue": "sales", "agent": "a1"}) == ["c1"]
    assert ids("calls", {**span(), "outcome": "abandoned_in_queue,abandoned_in_ivr"}) == ["c3", "c2"]
    assert ids("calls", {**span(), "outcome": "open"}) == ["c5"]
    assert ids("calls", {**span(), "direction": "outbound"}) == ["c5"]
    assert ids("calls", {**span(), "ivr_last_node": "main/menu"}) == ["c3"]
    assert ids("calls", {**span(), "callback": "1"}) == ["c4"]
    assert ids("calls", {**span(), "callback": "0"}) == ["c3", "c1", "c2", "c5"]
    # the row as the page shows it: seconds exact, the call linked to its record
    row = drill.find("calls")({"outcome": "answered", **span()}).rows[0:1][0]  # type: ignore[index, misc]
    assert (row["wait"], row["talk"], row["station"]) == (4, 90, "湖南卫视")
    assert row["_link"]["call_id"] == "/admin/calls/callrecord/?q=c1"


def test_visits_and_handlings(media: dict[str, Any]) -> None:
    airing = media["airing"]
    visit = VisitFact.objects.create
    visit(call_id="c1", seq=1, queue="sales", entered_at=at(20.1), result="answered", wait_ms=4000, within=True,
          agent_key="a1", airing=airing, hotline_number=media["numbers"]["hunan"])
    visit(call_id="c2", seq=1, queue="sales", entered_at=at(20.2), result="abandoned", wait_ms=3000, short=True,
          within=True, airing=airing)
    visit(call_id="c2", seq=2, queue="service", entered_at=at(20.3), result="", wait_ms=None)
    visit(call_id="c3", seq=1, queue="sales", entered_at=at(23.9), result="callback", wait_ms=60_000)
    assert ids("visits", span()) == ["c1", "c2", "c2", "c3"]
    assert ids("visits", {**span(), "queue": "sales", "within": "1"}) == ["c1", "c2"]
    assert ids("visits", {**span(), "short": "1"}) == ["c2"]
    assert ids("visits", {**span(), "short": "0", "within": "0"}) == ["c2", "c3"]
    assert ids("visits", {**span(), "result": "waiting"}, key="queue") == ["service"]
    assert ids("visits", {**span(), "result": "answered,callback"}) == ["c1", "c3"]
    assert ids("visits", {**span(), "airing": str(airing.pk), "agent": "a1"}) == ["c1"]
    assert ids("visits", {"hotline_number": str(media["numbers"]["hunan"].pk)}) == ["c1"]

    handling = HandlingFact.objects.create
    handling(call_id="c1", seq=1, queue="sales", agent_key="a1", answered_at=at(20.1), ended=True, talk_ms=90_000,
             acw_ms=15_000, airing=airing)
    handling(call_id="c1", seq=2, queue="service", agent_key="a2", answered_at=at(20.15), ended=False)
    handling(call_id="c4", seq=1, queue="sales", agent_key="a2", answered_at=at(25), ended=True)
    assert ids("handlings", span()) == ["c1", "c1"]
    assert ids("handlings", {**span(), "agent": "a2"}, key="queue") == ["service"]
    assert ids("handlings", {**span(), "ended": "1", "queue": "sales", "airing": str(airing.pk)}) == ["c1"]
    assert ids("handlings", {"airing": "none"}) == ["c1", "c4"]


def order(number: str, hours: float, **fields: Any) -> Order:
    made = Order.objects.create(number=number, customer=factories.make_customer(phone=f"1380013{number[-4:]}"),
                                recipient="王小明", recipient_phone="13800138000", **fields)
    Order.objects.filter(pk=made.pk).update(created_at=at(hours))
    return made


def test_orders(media: dict[str, Any]) -> None:
    airing, hunan, zj, numbers = media["airing"], media["hunan"], media["zj"], media["numbers"]
    seller = factories.make_user("agent", username="wang")
    factories.make_user("agent", username="li")
    massager = factories.make_product("颈椎按摩仪", "398.00")
    pillow = factories.make_product("按摩靠枕", "59.00")
    o1 = order("HL-0001", 20.2, airing=airing, hotline_number=numbers["hunan"], agent=seller, call_id="c1",
               province="湖南省", total=Decimal("398.00"))
    o2 = order("HL-0002", 20.5, hotline_number=numbers["zj"], status="shipped", province="浙江省",
               payment_method="card")
    o3 = order("HL-0003", 21, hotline_number=numbers["bare"], status="delivered", province="湖南省")
    order("HL-0004", 30, airing=airing, call_id="c9")
    line = OrderLine.objects.create
    line(order=o1, product=massager, quantity=1, unit_price=Decimal("398"), line_total=Decimal("398"))
    line(order=o2, product=pillow, quantity=1, unit_price=Decimal("59"), line_total=Decimal("59"))
    line(order=o3, product=massager, quantity=1, unit_price=Decimal("0"), line_total=Decimal("0"), is_gift=True)
    assert ids("orders", span(), key="number") == ["HL-0001", "HL-0002", "HL-0003"]
    assert ids("orders", {**span(), "airing": str(airing.pk)}, key="number") == ["HL-0001"]
    assert ids("orders", {"airing": "none"}, key="number") == ["HL-0002", "HL-0003"]
    assert ids("orders", {"station": str(hunan.pk)}, key="number") == ["HL-0001", "HL-0004"]
    assert ids("orders", {"station": str(zj.pk)}, key="number") == ["HL-0002"]
    assert ids("orders", {"station": "none"}, key="number") == ["HL-0003"]
    assert ids("orders", {**span(), "agent": "wang"}, key="number") == ["HL-0001"]
    assert ids("orders", {**span(), "agent": "li"}, key="number") == []
    assert ids("orders", {**span(), "status": "shipped,delivered"}, key="number") == ["HL-0002", "HL-0003"]
    assert ids("orders", {**span(), "product": str(massager.pk)}, key="number") == ["HL-0001"]  # the gift is not
    assert ids("orders", {**span(), "province": "湖南省"}, key="number") == ["HL-0001", "HL-0003"]
    assert ids("orders", {**span(), "payment_method": "card"}, key="number") == ["HL-0002"]
    assert ids("orders", {"from_call": "1"}, key="number") == ["HL-0001", "HL-0004"]
    assert ids("orders", {"from_call": "0"}, key="number") == ["HL-0002", "HL-0003"]
    row = drill.find("orders")({"from_call": "1", **span()}).rows[0:1][0]  # type: ignore[index, misc]
    assert row["_link"] == {"number": f"/admin/orders/order/{o1.pk}/change/",
                            "call_id": "/admin/calls/callrecord/?q=c1"}


def test_callbacks(media: dict[str, Any]) -> None:
    def callback(number: str, hours: float, status: str, reason: str = CallbackReason.SURGE, **fields: Any) -> None:
        Callback.objects.create(number=number, reason=reason, arrived_at=at(hours), captured_at=at(hours),
                                status=status, updated_at=at(hours), **fields)

    callback("13900000001", 20.1, CallbackStatus.ANSWERED, airing=media["airing"])
    callback("13900000002", 20.2, CallbackStatus.EXPIRED, CallbackReason.REQUESTED)
    callback("13900000003", 20.3, CallbackStatus.PENDING, airing=media["airing"])
    callback("13900000004", 25, CallbackStatus.PENDING)
    assert ids("callbacks", span(), key="number") == ["13900000001", "13900000002", "13900000003"]
    assert ids("callbacks", {**span(), "airing": str(media["airing"].pk), "status": "answered,expired"},
               key="number") == ["13900000001"]
    assert ids("callbacks", {**span(), "reason": "requested"}, key="number") == ["13900000002"]


@pytest.mark.parametrize(("name", "params", "message"), [
    ("calls", {"colour": "red"}, "Unknown filter: colour"),
    ("calls", {"queue": "nope"}, "Unknown value for queue: nope"),
    ("calls", {"station": "abc"}, "Unknown value for station: abc"),
    ("calls", {"station": "999"}, "Unknown value for station: 999"),
    ("calls", {"airing": "999"}, "Unknown value for airing: 999"),
    ("calls", {"outcome": "answered,lost"}, "Unknown value for outcome: lost"),
    ("calls", {"callback": "yes"}, "Unknown value for callback: yes"),
    ("calls", {"start": "yesterday"}, "Unknown value for start: yesterday"),
    ("calls", {"start": at(2).isoformat(), "end": at(1).isoformat()},
     "The drill-down ends before it starts: swap start and end."),
    ("visits", {"result": "gone"}, "Unknown value for result: gone"),
    ("visits", {"station": "1"}, "Unknown filter: station"),
    ("handlings", {"ended": "2"}, "Unknown value for ended: 2"),
    ("orders", {"status": "lost"}, "Unknown value for status: lost"),
    ("orders", {"agent": "nobody"}, "Unknown value for agent: nobody"),
    ("orders", {"product": "999"}, "Unknown value for product: 999"),
    ("orders", {"payment_method": "gold"}, "Unknown value for payment_method: gold"),
    ("callbacks", {"reason": "bored"}, "Unknown value for reason: bored"),
])
def test_bad_parameters(media: dict[str, Any], english: None, name: str, params: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        drill.find(name)(params)  # type: ignore[misc]
    assert raised.value.messages == [message]


# ---------------------------------------------------------------- the page

@pytest.fixture
def manager(users: dict[str, Any]) -> Client:
    client = Client()
    client.force_login(users["manager"])
    return client


def test_page_lists_the_rows_pages_and_links(media: dict[str, Any], manager: Client, english: None) -> None:
    for n in range(205):
        call(f"c{n:03d}", 20 + n / 1000, media, airing=media["airing"], station=media["hunan"], outcome="answered")
    url = Drill("calls", {**span(), "airing": str(media["airing"].pk)}).url()
    response = manager.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-count="205"' in page and "205 rows" in page and "showing 1–100" in page
    assert page.count("<tr data-row>") == 100
    assert 'href="/admin/calls/callrecord/?q=c000"' in page
    assert "Page 1 of 3" in page
    last = manager.get(url + "&page=3").content.decode()
    assert last.count("<tr data-row>") == 5 and "c204" in last and "c199" not in last


def test_export_holds_every_row(media: dict[str, Any], manager: Client) -> None:
    from openpyxl import load_workbook

    for n in range(3):
        call(f"c{n}", 20 + n / 10, media, outcome="answered", wait_ms=1500 * n)
    response = manager.get("/reports/drill/calls/?" + urlencode({**span(), "format": "xlsx"}))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="drill-calls.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    assert [(row[0], row[10]) for row in rows] == [("c0", 0), ("c1", 1.5), ("c2", 3)]


def test_bad_requests(media: dict[str, Any], manager: Client, users: dict[str, Any], english: None) -> None:
    assert manager.get("/reports/drill/nothing/").status_code == 404
    response = manager.get("/reports/drill/calls/?queue=nope")
    assert response.status_code == 400
    assert "Unknown value for queue: nope" in response.content.decode()
    assert manager.get("/reports/drill/calls/?page=x").status_code == 400
    agent = Client()
    agent.force_login(users["agent"])
    assert agent.get("/reports/drill/calls/").status_code == 403


def test_registered_drills() -> None:
    assert {"calls", "visits", "handlings", "orders", "callbacks"} <= set(drill.names())
    assert drills.VISIT_RESULTS[-1] == "waiting"


def test_the_page_names_the_parameters(media: dict[str, Any], english: None) -> None:
    params = {"start": "2026-03-02T00:00:00+08:00", "station": str(media["hunan"].pk), "airing": "none",
              "hotline_number": str(media["numbers"]["zj"].pk), "outcome": "answered"}
    assert drills.describe(params) == [("From", "2026-03-02 00:00"), ("Station", "湖南卫视"), ("Airing", "none"),
                                       ("Hotline number", "4008002000"), ("Outcome", "answered")]
