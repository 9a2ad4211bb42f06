"""“Where is my order?” on the desk (Alt+O): any order by number or by another phone number, with its parcel
and tracking; its status sent to the customer through the outbox (Alt+S)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hotline.accounts.models import AuditEntry
from hotline.logistics.models import ShipmentEvent, ShipmentStatus
from hotline.notify.models import Notification
from tests import factories
from tests.logistics.factories import make_courier, make_order, make_parcel

from .test_customer_tools import client_for, texts


@pytest.fixture(autouse=True)
def _in_english(english: None) -> None:
    """Messages are asserted in English."""


@pytest.fixture
def shipped(db: None) -> Any:
    """王小明's shipped order with its parcel and two tracking events, and an older order of his."""
    customer = factories.make_customer()
    product = factories.make_product("颈椎按摩仪", "398.00")
    older = make_order(customer, (product, 1), number="HL20261101-000007",
                       at=timezone.now() - datetime.timedelta(days=30))
    order = make_order(customer, (product, 2), number="HL20261201-000042")
    parcel = make_parcel(order, make_courier("顺丰速运"), status=ShipmentStatus.IN_TRANSIT, tracking="SF1234567890")
    at = timezone.now() - datetime.timedelta(hours=5)
    ShipmentEvent.objects.create(shipment=parcel, kind="picked_up", at=at, detail="深圳南山揽收", source="push")
    ShipmentEvent.objects.create(shipment=parcel, kind="in_transit", at=at + datetime.timedelta(hours=2),
                                 detail="到达广州转运中心", source="push")
    order.refresh_from_db()
    return order, older


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["HL20261201-000042", "hl20261201-000042", "20261201-000042", "20261201000042"])
def test_an_order_is_found_by_its_number_with_tracking(users: dict[str, Any], shipped: Any, typed: str) -> None:
    response = client_for(users["agent"]).get("/desk/customer/orders", {"q": typed})
    assert response.status_code == 200
    assert [order.number for order in response.context["orders"]] == ["HL20261201-000042"]
    page = texts(response)
    assert "HL20261201-000042" in page and "Shipped" in page
    assert "顺丰速运 tracking number SF1234567890 · In transit" in page
    assert page.index("到达广州转运中心") < page.index("深圳南山揽收")  # the latest event first


@pytest.mark.django_db
def test_orders_are_found_by_any_of_the_customers_numbers(users: dict[str, Any], shipped: Any) -> None:
    order, older = shipped
    response = client_for(users["agent"]).get("/desk/customer/orders", {"q": "+86 138-0013-8000"})
    assert [o.number for o in response.context["orders"]] == [order.number, older.number]
    nobody = client_for(users["agent"]).get("/desk/customer/orders", {"q": "13900139000"})
    assert (nobody.status_code, list(nobody.context["orders"])) == (200, [])
    assert "No order found." in texts(nobody)


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "message"), [
    ("", "Type an order number or a phone number."),
    ("where", "“where” is neither an order number nor a phone number."),
])
def test_text_that_is_no_number_is_answered_on_the_field(users: dict[str, Any], typed: str, message: str) -> None:
    response = client_for(users["agent"]).get("/desk/customer/orders", {"q": typed})
    assert (response.status_code, response.context["error"]) == (422, message)


@pytest.mark.django_db
def test_the_status_goes_to_the_customer_with_one_key(users: dict[str, Any], shipped: Any) -> None:
    order, _older = shipped
    response = client_for(users["agent"]).post(f"/desk/customer/orders/{order.pk}/send-status")
    assert response.status_code == 200
    assert "The status of HL20261201-000042 is on its way to 13800138000." in texts(response)
    notification = Notification.objects.get()
    assert (notification.customer_id, notification.order_id, notification.channel, notification.recipient,
            notification.subject) == (order.customer_id, order.pk, "sms", "13800138000", "HL20261201-000042")
    assert notification.body == ("王先生, your order HL20261201-000042 is now: Shipped. "
                                 "Courier 顺丰速运, tracking number SF1234567890.")
    audit = AuditEntry.objects.get(action="send_order_status")
    assert (audit.actor_name, audit.object_id) == ("t_agent", str(order.pk))


@pytest.mark.django_db
def test_a_customer_who_wants_no_notifications_gets_none(users: dict[str, Any], shipped: Any) -> None:
    order, _older = shipped
    order.customer.notify_channel = "none"
    order.customer.save()
    response = client_for(users["agent"]).post(f"/desk/customer/orders/{order.pk}/send-status")
    assert response.status_code == 422
    assert "The customer has no number to send to or receives no notifications." in texts(response)
    assert (Notification.objects.count(), AuditEntry.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_looking_up_and_sending_need_their_permissions(users: dict[str, Any], shipped: Any) -> None:
    order, _older = shipped
    assert Client().get("/desk/customer/orders", {"q": order.number}).status_code == 302
    assert Client().post(f"/desk/customer/orders/{order.pk}/send-status").status_code == 302
    assert client_for(users["logistics"]).post(f"/desk/customer/orders/{order.pk}/send-status").status_code == 403
    assert client_for(users["agent"]).post("/desk/customer/orders/999999/send-status").status_code == 404
    assert Notification.objects.count() == 0
