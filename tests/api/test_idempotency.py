"""`Idempotency-Key` on order creation: the same key from the same user gives the same order, never two,
also when both requests arrive at once (threads, on SQLite and on PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

from hotline.accounts.models import AuditEntry
from hotline.orders.models import Order
from tests import factories
from tests.api.helpers import ApiClient, nothing_written, raw_token

ADDRESS = "广东省深圳市南山区科技园南路18号"


def order_body(world: Any, quantity: int = 1) -> dict[str, Any]:
    return {"customer_id": world.customer.pk, "address_text": ADDRESS,
            "lines": [{"product_id": world.product.pk, "quantity": quantity}]}


def test_the_same_key_twice_gives_the_same_order(world, as_role):
    # given an agent whose connection dropped after sending an order
    api = as_role("agent")
    first = api.post("/api/orders", order_body(world), headers={"Idempotency-Key": "call-42-order"})
    # when the client sends it again with the same key
    again = api.post("/api/orders", order_body(world), headers={"Idempotency-Key": "call-42-order"})
    # then the first answer was 201, the replay 200, with the same order, and only one exists
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Order.objects.count() == 1
    assert AuditEntry.objects.filter(action="create_order").count() == 1


def test_the_same_key_with_a_different_order_is_refused_and_changes_nothing(world, as_role):
    # as payment APIs do: a key names one request; reusing it for another order is a client bug to report
    api = as_role("agent")
    first = api.post("/api/orders", order_body(world, quantity=1), headers={"Idempotency-Key": "k1"})
    with nothing_written():
        again = api.post("/api/orders", order_body(world, quantity=5), headers={"Idempotency-Key": "k1"})
    assert (first.status_code, again.status_code) == (201, 422)
    assert again.json() == {"errors": {"idempotency_key": [
        "This Idempotency-Key was used for a different order; send a new key for a new order."]}}
    replay = api.post("/api/orders", order_body(world, quantity=1), headers={"Idempotency-Key": "k1"})
    assert (replay.status_code, replay.json()["number"]) == (200, first.json()["number"])


def test_different_keys_or_no_key_make_different_orders(world, as_role):
    api = as_role("agent")
    numbers = {api.post("/api/orders", order_body(world), headers=headers).json()["number"]
               for headers in ({"Idempotency-Key": "a"}, {"Idempotency-Key": "b"}, {}, {})}
    assert len(numbers) == Order.objects.count() == 4


def test_the_same_key_from_two_users_makes_two_orders(world, as_role):
    # keys are the client's, and two agents' clients may well both count from 1
    one = as_role("agent").post("/api/orders", order_body(world), headers={"Idempotency-Key": "1"})
    two = as_role("supervisor").post("/api/orders", order_body(world), headers={"Idempotency-Key": "1"})
    assert (one.status_code, two.status_code) == (201, 201)
    assert one.json()["number"] != two.json()["number"]


def test_a_refused_order_does_not_use_up_its_key(world, as_role):
    # given an order refused for a zero quantity
    api = as_role("agent")
    refused = api.post("/api/orders", order_body(world, quantity=0), headers={"Idempotency-Key": "retry-me"})
    assert refused.status_code == 422
    # when the corrected order is sent with the same key, then it is created
    fixed = api.post("/api/orders", order_body(world, quantity=1), headers={"Idempotency-Key": "retry-me"})
    assert fixed.status_code == 201


@pytest.mark.parametrize(("key", "message"), [
    ("k" * 101, "Ensure this value has at most 100 characters (it has 101)."),
    ("", "Ensure this value has at least 1 character (it has 0)."),
])
def test_an_oversized_or_empty_key_is_refused(world, as_role, key, message):
    api = as_role("agent")
    with nothing_written():
        response = api.post("/api/orders", order_body(world), headers={"Idempotency-Key": key})
    assert (response.status_code, response.json()) == (422, {"errors": {"Idempotency-Key": [message]}})


def test_a_key_of_exactly_100_characters_is_accepted(world, as_role):
    response = as_role("agent").post("/api/orders", order_body(world), headers={"Idempotency-Key": "k" * 100})
    assert response.status_code == 201


def in_threads(count: int, work: Callable[[], Any]) -> list[Any]:
    """Run `work` in `count` threads released together; their results, or the first error they raised."""
    start = threading.Barrier(count)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait(timeout=10)
            results.append(work())
        except BaseException as exc:  # re-raised below, not lost in the thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_the_same_key_make_one_order(world):
    # Runs on SQLite too: hotline/test_settings.py gives the tests a file database (WAL, busy timeout),
    # which threads share as production does; an in-memory one would fail at once on table locks.
    # given an agent's client that fires the same order from four threads at once
    token = raw_token(factories.make_user("agent", username="racer"))

    def send() -> tuple[int, str]:
        response = ApiClient(token).post("/api/orders", order_body(world), headers={"Idempotency-Key": "burst-1"})
        return response.status_code, response.json()["number"]

    # when they all arrive together
    answers = in_threads(4, send)
    orders = list(Order.objects.filter(agent__username="racer").values_list("number", flat=True))
    # then exactly one order was made; one request created it and the others got that order back
    assert len(orders) == 1
    assert sorted(answers) == [(200, orders[0])] * 3 + [(201, orders[0])]
