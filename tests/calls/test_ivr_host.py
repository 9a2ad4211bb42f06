"""OrmIvrHost: member number + PIN, order status by caller number or by the order number's digits."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connections

from hotline.calls.host.ivr import OrmIvrHost, order_number_from_digits
from hotline.crm.actions import do_set_member_pin
from hotline.orders.models import Order, Status
from hotline.telephony.ivr.host import IvrHost
from hotline.telephony.ivr.phrases import ORDER_STATUS_PHRASES
from tests import factories
from tests.backoffice.helpers import move, place_order

pytestmark = pytest.mark.django_db


def digits_of(order: Order) -> str:
    return "".join(c for c in order.number if c.isdigit())


@pytest.fixture
def member(world: Any, users: Any) -> Any:
    world.customer.member_no = "100200"
    world.customer.save()
    do_set_member_pin(world.customer, "4321", actor=users["admin"])
    return world.customer


def test_the_host_implements_the_port() -> None:
    port: IvrHost = OrmIvrHost()
    assert callable(port.verify_member) and callable(port.order_status)


def test_a_member_with_the_right_pin_is_recognised(member: Any) -> None:
    assert async_to_sync(OrmIvrHost().verify_member)("100200", "4321") == str(member.pk)


@pytest.mark.parametrize(("member_no", "pin"), [("100200", "1234"), ("100200", ""), ("999999", "4321"),
                                                ("", "4321"), ("", "")])
def test_a_wrong_member_number_or_pin_is_refused(member: Any, member_no: str, pin: str) -> None:
    assert async_to_sync(OrmIvrHost().verify_member)(member_no, pin) is None


def test_digits_rebuild_the_order_number(settings: Any) -> None:
    assert order_number_from_digits("20261124000123") == "HL20261124-000123"
    settings.HOTLINE_ORDER_PREFIX = "TV"
    assert order_number_from_digits("20261124000123") == "TV20261124-000123"


@pytest.mark.parametrize("digits", ["", "2026112400012", "202611240001234", "2026112400012x",
                                    "２０２６１１２４０００１２３", "HL20261124-000123"])
def test_bad_digits_rebuild_nothing(digits: str) -> None:
    assert order_number_from_digits(digits) is None


def test_order_status_by_order_number_digits(world: Any, users: Any) -> None:
    order = move(place_order(world, users["agent"]), users, "reviewed", "shipped")
    assert async_to_sync(OrmIvrHost().order_status)(order_no=digits_of(order)) == "shipped"
    assert "shipped" in ORDER_STATUS_PHRASES


@pytest.mark.parametrize("digits", ["20261124999999", "123", "abcdefghijklmn"])
def test_an_unknown_or_malformed_order_number_has_no_status(world: Any, users: Any, digits: str) -> None:
    place_order(world, users["agent"])
    assert async_to_sync(OrmIvrHost().order_status)(order_no=digits) is None


def test_order_status_by_caller_is_the_latest_order_of_the_customer(world: Any, users: Any) -> None:
    move(place_order(world, users["agent"]), users, "reviewed")
    place_order(world, users["agent"])
    assert async_to_sync(OrmIvrHost().order_status)(caller="+86 138-0013-8000") == Status.ORDERED


def test_a_keyed_in_order_number_wins_over_the_caller(world: Any, users: Any) -> None:
    first = move(place_order(world, users["agent"]), users, "reviewed")
    place_order(world, users["agent"])
    got = async_to_sync(OrmIvrHost().order_status)(caller="13800138000", order_no=digits_of(first))
    assert got == "reviewed"


@pytest.mark.parametrize("caller", ["13900000000", "anonymous", ""])
def test_a_caller_without_orders_has_no_status(world: Any, users: Any, caller: str) -> None:
    factories.make_customer("李四", phone="13900000000")
    place_order(world, users["agent"])
    assert async_to_sync(OrmIvrHost().order_status)(caller=caller) is None


@pytest.mark.django_db(transaction=True)
def test_the_host_works_from_a_running_event_loop(world: Any, users: Any) -> None:
    order = place_order(world, users["agent"])
    world.customer.member_no = "100200"
    world.customer.save()
    do_set_member_pin(world.customer, "4321", actor=users["admin"])
    host = OrmIvrHost()

    async def scenario() -> tuple[Any, ...]:
        try:
            return tuple(await asyncio.gather(
                host.verify_member("100200", "4321"), host.verify_member("100200", "0000"),
                host.order_status(order_no=digits_of(order)), host.order_status(caller="13800138000")))
        finally:
            await sync_to_async(connections.close_all, thread_sensitive=True)()  # the worker thread's connection

    assert asyncio.run(scenario()) == (str(world.customer.pk), None, "ordered", "ordered")
