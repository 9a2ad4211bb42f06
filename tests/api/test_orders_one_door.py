"""One front door for orders: the desk and the REST API place them through the same action, so the same
order costs the same and is refused with the same answer, and both refuse access in the same shape."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hotline.calls.models import CallRecord
from hotline.catalog.models import Product, SaleStatus
from tests import factories
from tests.api.helpers import ApiClient, nothing_written, raw_token

pytestmark = pytest.mark.usefixtures("english")

ADDRESS = "广东省深圳市南山区科技园南路18号"


def order(world: Any, **fields: Any) -> dict[str, Any]:
    """A body both doors read: two massagers (which earn a gift) and a cross-sell."""
    return {"customer_id": world.customer.pk, "address_text": ADDRESS,
            "lines": [{"product_id": world.product.pk, "quantity": 2},
                      {"product_id": world.extra.pk, "quantity": 1, "cross_sell": True}], **fields}


class Doors:
    """The desk's order endpoint (signed in) and the API's (with a token), as one user or anonymously."""

    def __init__(self, user: Any) -> None:
        self.desk_client = Client(headers={"accept-language": "en"})
        if user is not None:
            self.desk_client.force_login(user)
        self.api_client = ApiClient(raw_token(user) if user is not None else None)

    def desk(self, body: dict[str, Any]) -> Any:
        return self.desk_client.post("/desk/orders", json.dumps(body), content_type="application/json")

    def api(self, body: dict[str, Any]) -> Any:
        return self.api_client.post("/api/orders", body)


def test_the_same_order_costs_the_same_through_either_door(world: Any, agent: Any) -> None:
    doors = Doors(agent)
    desk, api = doors.desk(order(world)), doors.api(order(world))
    assert (desk.status_code, api.status_code) == (201, 201)
    assert desk.json()["order"]["total"] == api.json()["totals"]["total"] == "865.00"
    assert [(line["product"]["id"], line["quantity"], line["line_total"]) for line in api.json()["lines"]] == [
        (world.product.pk, 2, "796.00"), (world.gift.pk, 1, "0.00"), (world.extra.pk, 1, "69.00")]


@pytest.mark.parametrize("refusal", ["paused", "unknown customer", "unknown number", "lonely cross-sell",
                                     "no address"])
def test_a_refused_order_gets_the_same_answer_from_either_door(world: Any, agent: Any, refusal: str) -> None:
    if refusal == "paused":
        Product.objects.filter(pk=world.extra.pk).update(status=SaleStatus.PAUSED)
    body = {"paused": order(world), "unknown customer": order(world, customer_id=999_999),
            "unknown number": order(world, hotline_number="4001234567"),
            "lonely cross-sell": order(world, lines=[{"product_id": world.extra.pk, "quantity": 1,
                                                      "cross_sell": True}]),
            "no address": order(world, address_text="")}[refusal]
    doors = Doors(agent)
    with nothing_written():
        desk, api = doors.desk(body), doors.api(body)
    assert (desk.status_code, api.status_code) == (422, 422)
    assert desk.json() == api.json() == {"errors": {
        "paused": {"lines": ["护膝 is Paused and cannot be ordered."]},
        "unknown customer": {"customer_id": ["Customer #999999 does not exist."]},
        "unknown number": {"hotline_number": ["4001234567 is not one of our hotline numbers."]},
        "lonely cross-sell": {"lines": ["护膝 is not a cross-sell of any product on this order."]},
        "no address": {"address_text": ["Enter a delivery address or pick a saved one."]},
    }[refusal]}


@pytest.mark.parametrize(("role", "detail"), [
    (None, None), ("logistics", "You do not have permission to do this.")])
def test_access_is_refused_in_the_same_shape_by_either_door(world: Any, users: Any, role: str | None,
                                                            detail: str | None) -> None:
    doors = Doors(users[role] if role else None)
    with nothing_written():
        desk, api = doors.desk(order(world)), doors.api(order(world))
    # the desk is called by its own page (403, no login prompt); the API asks for credentials (401)
    assert (desk.status_code, api.status_code) == ((403, 401) if role is None else (403, 403))
    assert (list(desk.json()), list(api.json())) == (["detail"], ["detail"])
    if detail is not None:
        assert desk.json() == api.json() == {"detail": detail}


def test_the_api_attributes_an_order_on_a_call_to_the_call_s_airing_as_the_desk_does(
        world: Any, agent: Any) -> None:
    # the spot aired two hours ago; the call came in during it; the order is placed only now
    airing = factories.make_airing(world.station, timezone.now() - datetime.timedelta(hours=2))
    CallRecord.objects.create(call_id="call-5", caller="13800138000", dnis="4008001000", agent_key=agent.username,
                              hotline_number=world.hotline, airing=airing,
                              arrived_at=airing.starts_at + datetime.timedelta(seconds=60))
    doors = Doors(agent)
    api, desk = doors.api(order(world, call_id="call-5")), doors.desk(order(world, call_id="call-5"))
    assert (api.status_code, desk.status_code) == (201, 201)
    assert (api.json()["attribution"]["airing_id"], api.json()["attribution"]["hotline_number"]) == (
        airing.pk, "4008001000")
    assert desk.json()["order"]["airing_id"] == airing.pk
