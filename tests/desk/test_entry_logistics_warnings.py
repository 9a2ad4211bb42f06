"""The desk's quote warns the agent before a cash-on-delivery order is placed: no courier collects cash at
the address, or the refusal risk is high (with its reasons). Advisory: nothing is written, nothing refused."""

from __future__ import annotations

import datetime
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import include, path, reverse

from tests import factories
from tests.desk.test_entry import everything
from tests.logistics.selection_world import finish, make_courier, make_order

urlpatterns = [path("desk/", include("hotline.desk.entry_urls"))]
pytestmark = [pytest.mark.urls(__name__), pytest.mark.usefixtures("english")]

NOON = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
NO_COD_HERE = "No courier offers cash on delivery for this order in 广东深圳南山区."


@pytest.fixture
def couriers(db: None) -> None:
    """SF delivers in 深圳 with cash on delivery, except in 南山区; EMS has no cash on delivery at all."""
    make_courier("SF", "express", "12.00", {"province": "广东省", "city": "深圳市"},
                 {"province": "广东省", "city": "深圳市", "district": "南山区", "cod_allowed": False})
    make_courier("EMS", "ems", "15.00", {"province": "广东省"}, cod_supported=False)


@pytest.fixture
def noon(monkeypatch: pytest.MonkeyPatch) -> datetime.datetime:
    """The quote's clock at noon: a late-night call would add its own reason."""
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOON)
    return NOON


def quote(user: Any, **fields: Any) -> Any:
    client = Client(headers={"accept-language": fields.pop("language", "en")})
    client.force_login(user)
    return client.post(reverse("desk-quote"), json.dumps(fields), content_type="application/json")


def body(world: Any, **fields: Any) -> dict[str, Any]:
    values = {"lines": [{"product_id": world.product.pk, "quantity": 1}], "payment_method": "cod",
              "delivery_method": "courier", "customer_id": world.customer.pk, "new_customer": False,
              "address_id": world.customer.addresses.get().pk, "address_text": ""}
    values.update(fields)
    return values


def test_no_courier_collecting_cash_at_the_saved_address_is_a_warning(world: Any, agent: Any, couriers: None,
                                                                      noon: Any) -> None:
    before = everything()
    response = quote(agent, **body(world))
    assert response.status_code == 200
    assert response.json()["total"] == "398.00"
    assert response.json()["warnings"] == [{"kind": "cod", "text": NO_COD_HERE}]
    assert everything() == before


def test_a_typed_address_is_checked_instead_of_the_saved_one(world: Any, agent: Any, couriers: None,
                                                              noon: Any) -> None:
    assert quote(agent, **body(world, address_text="广东省深圳市福田区深南大道1号")).json()["warnings"] == []
    assert quote(agent, **body(world, address_text="北京市朝阳区建国路1号")).json()["warnings"] == [
        {"kind": "cod", "text": "No courier delivers to 北京朝阳区."}]


def test_the_delivery_method_narrows_the_couriers(world: Any, agent: Any, couriers: None, noon: Any) -> None:
    fields = body(world, address_text="广东省深圳市福田区深南大道1号", delivery_method="ems")
    assert quote(agent, **fields).json()["warnings"] == [
        {"kind": "cod", "text": "No courier offers cash on delivery for this order in 广东深圳福田区."}]
    assert quote(agent, **body(world, delivery_method="pickup")).json()["warnings"] == []


def test_prepaid_orders_get_no_warning(world: Any, agent: Any, couriers: None, noon: Any) -> None:
    assert quote(agent, **body(world, payment_method="transfer")).json()["warnings"] == []


def test_no_address_no_cod_warning(world: Any, agent: Any, couriers: None, noon: Any) -> None:
    assert quote(agent, **body(world, address_id=None)).json()["warnings"] == []


def test_another_customers_address_is_not_looked_at(world: Any, agent: Any, couriers: None, noon: Any) -> None:
    other = factories.make_customer("李四", "13900139000")
    fields = body(world, address_id=other.addresses.get().pk)
    assert quote(agent, **fields).json()["warnings"] == []


def test_without_couriers_logistics_is_not_set_up_and_nothing_is_said(world: Any, agent: Any, noon: Any) -> None:
    assert quote(agent, **body(world)).json()["warnings"] == []


def test_a_quote_of_lines_only_keeps_its_shape(world: Any, agent: Any, couriers: None) -> None:
    data = quote(agent, lines=[{"product_id": world.product.pk, "quantity": 1}]).json()
    assert "warnings" not in data


def test_malformed_context_fields_are_ignored(world: Any, agent: Any, couriers: None, noon: Any) -> None:
    response = quote(agent, **body(world, customer_id="x", address_id=[1], address_text=5, delivery_method=7))
    assert (response.status_code, response.json()["warnings"]) == (200, [])


def test_a_customer_who_refused_three_times_is_a_high_risk(world: Any, agent: Any, couriers: None,
                                                           noon: Any) -> None:
    sf = make_courier("City", "city", "8.00", {"province": "广东省"})
    for days in (60, 40, 20):
        refused = make_order(world.customer, status="refused", at=NOON - datetime.timedelta(days=days))
        finish(refused, sf, "refused", at=NOON - datetime.timedelta(days=days - 2))
    before = everything()
    fields = body(world, address_text="广东省深圳市福田区深南大道1号")
    # logit(0.2702) + 3 × 0.9 → 84.6 %: 深圳's rate is its 3 refusals of 3, shrunk to the national rate
    assert quote(agent, **fields).json()["warnings"] == [{
        "kind": "risk", "score": 85, "level": "high",
        "text": "High risk of refusal (85 points): the customer refused 3 times before, city refusal rate 27 %"}]
    assert everything() == before


def test_a_new_customer_at_night_for_a_big_amount_is_warned_in_chinese(world: Any, agent: Any, couriers: None,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOON.replace(hour=23))
    # no parcels anywhere: the base rate; logit(0.18) + 0.5 + 0.5 × log2(1592 / 800) + 0.6 → 52 %
    fields = body(world, customer_id=None, new_customer=True, address_id=None, language="zh-hans",
                  lines=[{"product_id": world.product.pk, "quantity": 4}])
    assert quote(agent, **fields).json()["warnings"] == [{
        "kind": "risk", "score": 52, "level": "high",
        "text": "拒收风险高（52 分）：深夜来电，新客户，金额 ¥1,592 偏高"}]


def test_a_new_customer_at_an_address_without_cod_gets_both_warnings(world: Any, agent: Any, couriers: None,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOON.replace(hour=23))
    fields = body(world, customer_id=None, new_customer=True, address_id=None, address_text="广东深圳南山区科技园1号",
                  lines=[{"product_id": world.product.pk, "quantity": 4}], language="zh-hans")
    warnings = quote(agent, **fields).json()["warnings"]
    assert [(warning["kind"], warning["text"]) for warning in warnings] == [
        ("cod", "没有快递公司在广东深圳南山区为该订单提供货到付款。"),
        ("risk", "拒收风险高（52 分）：深夜来电，新客户，金额 ¥1,592 偏高")]
