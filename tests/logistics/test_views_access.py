"""Every page and form of the logistics workbench as anonymous (sign in), without permission (403, nothing
written) and with it; a logistics clerk lands on the workbench after signing in."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from hotline.accounts.models import AuditEntry
from hotline.logistics.models import DispatchBatch, OrderTask, Shipment, StockMovement
from hotline.orders.models import Order
from tests.logistics.factories import make_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PAGES = ["/logistics/", "/logistics/batches/", "/logistics/scan/", "/logistics/tracking/",
         "/logistics/orders/L0000001/", "/logistics/returns/", "/logistics/stock/"]
POSTS = ["/logistics/review/approve", "/logistics/review/send-back", "/logistics/batches/create",
         "/logistics/scan/ship", "/logistics/scan/bulk", "/logistics/orders/L0000001/events",
         "/logistics/returns/L0000001/receive", "/logistics/stock/receive", "/logistics/stock/count"]


def client_for(user: Any = None) -> Client:
    client = Client(headers={"accept-language": "en"})
    if user is not None:
        client.force_login(user)
    return client


def written() -> dict[str, Any]:
    """What the workbench's forms may write, to assert that a refused request changed nothing."""
    return {"orders": list(Order.objects.values("pk", "status")), "tasks": OrderTask.objects.count(),
            "shipments": Shipment.objects.count(), "batches": DispatchBatch.objects.count(),
            "movements": StockMovement.objects.count(), "audit": AuditEntry.objects.count()}


def form_data(world: Any) -> dict[str, Any]:
    return {"orders": [world.order.pk], "reason": "call the customer", "order": "L0000001",
            "tracking_number": "SF1234567890", "pairs": "L0000001 SF1234567890", "kind": "delivered",
            "at": "2026-01-01T10:00", "product": world.product.pk, "quantity": 5, "counted": 4,
            "return_freight": "0", f"quantity_{world.order.lines.get().pk}": 1,
            f"condition_{world.order.lines.get().pk}": "good"}


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_users_are_sent_to_sign_in(url: str) -> None:
    make_world()
    response = client_for().get(url)
    assert (response.status_code, response["Location"]) == (302, f"/login/?next={quote(url)}")


@pytest.mark.parametrize("url", POSTS)
def test_anonymous_posts_are_sent_to_sign_in_and_change_nothing(url: str) -> None:
    world = make_world()
    before = written()
    response = client_for().post(url, form_data(world))
    assert (response.status_code, response["Location"]) == (302, f"/login/?next={quote(url)}")
    assert written() == before


@pytest.mark.parametrize("url", PAGES)
def test_an_agent_may_not_open_the_workbench(users: dict[str, Any], url: str) -> None:
    make_world()
    assert client_for(users["agent"]).get(url).status_code == 403


@pytest.mark.parametrize("url", POSTS)
def test_an_agent_may_not_use_its_forms_and_nothing_changes(users: dict[str, Any], url: str) -> None:
    world = make_world()
    before = written()
    assert client_for(users["agent"]).post(url, form_data(world)).status_code == 403
    assert written() == before


@pytest.mark.parametrize("url", PAGES)
def test_a_logistics_clerk_opens_every_page(users: dict[str, Any], url: str) -> None:
    make_world()
    response = client_for(users["logistics"]).get(url)
    assert response.status_code == 200
    assert b'aria-current="page"' in response.content


@pytest.mark.parametrize(("url", "status"), [
    ("/logistics/tracking/", 200), ("/logistics/stock/", 200), ("/logistics/batches/", 403),
    ("/logistics/scan/", 403), ("/logistics/returns/", 403)])
def test_finance_sees_tracking_and_stock_only(users: dict[str, Any], url: str, status: int) -> None:
    make_world()
    assert client_for(users["finance"]).get(url).status_code == status


def test_a_user_who_may_not_review_is_sent_to_their_first_tab(users: dict[str, Any]) -> None:
    response = client_for(users["finance"]).get("/logistics/")
    assert (response.status_code, response["Location"]) == (302, "/logistics/tracking/")


@pytest.mark.parametrize("url", ["/logistics/review/approve", "/logistics/scan/ship", "/logistics/stock/receive"])
def test_finance_may_not_review_ship_or_receive_stock(users: dict[str, Any], url: str) -> None:
    world = make_world()
    before = written()
    assert client_for(users["finance"]).post(url, form_data(world)).status_code == 403
    assert written() == before


def test_finance_sees_no_stock_forms(users: dict[str, Any]) -> None:
    make_world()
    response = client_for(users["finance"]).get("/logistics/stock/")
    assert b"/logistics/stock/receive" not in response.content


def test_the_tabs_show_what_the_user_may_use(users: dict[str, Any]) -> None:
    response = client_for(users["finance"]).get("/logistics/stock/")
    assert [tab["name"] for tab in response.context["tabs"]] == ["tracking", "stock"]


def test_a_logistics_clerk_lands_on_the_workbench_after_signing_in(users: dict[str, Any]) -> None:
    client = Client()
    signed_in = client.post("/login/", {"username": "t_logistics", "password": "pw-for-tests"})
    start = client.get(signed_in["Location"])
    assert (signed_in["Location"], start["Location"]) == ("/", "/logistics/")
    assert client.get("/logistics/").status_code == 200


def test_an_unknown_order_is_404(users: dict[str, Any]) -> None:
    assert client_for(users["logistics"]).get("/logistics/orders/NOPE/").status_code == 404


@pytest.mark.parametrize("url", ["/logistics/prints/1/", "/logistics/prints/1/pdf"])
def test_print_job_pages_need_the_workbench(users: dict[str, Any], url: str) -> None:
    anonymous = client_for().get(url)
    assert (anonymous.status_code, anonymous["Location"]) == (302, f"/login/?next={quote(url)}")
    assert client_for(users["agent"]).get(url).status_code == 403
    assert client_for(users["logistics"]).get(url).status_code == 404
