"""Fixtures of the desk tests: a world for a live call, from the hotline number to the agent's seat."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from hotline.calls.models import NumberRoute, Queue
from hotline.calls.seats import do_create_seat
from tests import factories

DNIS = "4008001000"
CUSTOMER_PHONE = "13800138000"
SEAT_USER, SEAT_PASSWORD = "8001", "s3cret-pass"
PASSWORD = "pw-for-tests"  # every factory user's password


@pytest.fixture
def call_world(transactional_db: None, users: dict[str, Any]) -> SimpleNamespace:
    """A station's hotline number routed straight to the `orders` queue; an airing on now with a product
    (short code 801); seat A-01, free, whose phone registers as 8001; the agent; and a returning
    customer calling from their mobile, with a saved default address.

    Committed rows (`transactional_db`): the web server and the engine read them from their own threads.
    """
    station = factories.make_station()
    hotline = factories.make_hotline(DNIS, station)
    queue = Queue.objects.create(name="orders", wrapup_seconds=5)
    NumberRoute.objects.create(hotline_number=hotline, queue=queue)
    product = factories.make_product("颈椎按摩仪", "398.00", short_code="801")
    other = factories.make_product("护膝", "99.00", short_code="802")
    airing = factories.make_airing(station, starts_at=timezone.now() - datetime.timedelta(seconds=30),
                                   length_seconds=600, product=product)
    seat = do_create_seat("A-01", SEAT_USER, SEAT_PASSWORD, actor=users["admin"])
    customer = factories.make_customer("王小明", CUSTOMER_PHONE)
    return SimpleNamespace(station=station, hotline=hotline, queue=queue, product=product, other=other,
                           airing=airing, seat=seat, agent=users["agent"], supervisor=users["supervisor"],
                           customer=customer, address=customer.addresses.get(is_default=True))
