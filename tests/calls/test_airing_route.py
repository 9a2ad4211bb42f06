"""OrmDirectory.route for a number that skips its menu while an airing of it is on (issue 11)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from hotline.calls.host.directory import OrmDirectory
from hotline.calls.models import NumberRoute, Queue
from tests import factories

pytestmark = pytest.mark.django_db
WINDOW_MINUTES = 30
STRAIGHT_TO_ORDERS = {"hotline_number": "4008001000", "flow": "", "queue": "orders", "greeting": ("welcome_short",)}
MENU = {"hotline_number": "4008001000", "flow": "demo", "queue": "", "greeting": ()}


@pytest.fixture
def directory(settings: Any) -> Any:
    settings.HOTLINE_ATTRIBUTION_WINDOW_MINUTES = WINDOW_MINUTES
    found = OrmDirectory()
    yield found
    found.close()


@pytest.fixture
def skipping(world: Any) -> Any:
    """The world's number, set to go straight to the orders queue during its airings."""
    world.hotline.skip_menu_during_airing = True
    world.hotline.airing_queue = Queue.objects.create(name="orders")
    world.hotline.save()
    return world


def route_of(directory: OrmDirectory, dnis: str = "4008001000") -> dict[str, Any]:
    route = async_to_sync(directory.route)(dnis)
    assert route is not None
    return {"hotline_number": route.hotline_number, "flow": route.flow, "queue": route.queue,
            "greeting": route.greeting}


def airing_started(world: Any, minutes_ago: float, length_seconds: int = 120) -> None:
    factories.make_airing(world.station, starts_at=timezone.now() - datetime.timedelta(minutes=minutes_ago),
                          length_seconds=length_seconds)


def test_during_an_airing_the_caller_skips_the_menu_for_the_order_queue_with_a_short_welcome(
        skipping: Any, directory: OrmDirectory) -> None:
    airing_started(skipping, minutes_ago=1)
    assert route_of(directory, "400-800-1000") == STRAIGHT_TO_ORDERS


def test_the_viewers_of_an_airing_that_ended_skip_it_within_its_attribution_window_only(
        skipping: Any, directory: OrmDirectory) -> None:
    airing_started(skipping, minutes_ago=WINDOW_MINUTES - 1)  # a 2-minute spot: ended 27 minutes ago
    assert route_of(directory) == STRAIGHT_TO_ORDERS


def test_without_an_airing_on_the_number_routes_as_usual(skipping: Any, directory: OrmDirectory) -> None:
    airing_started(skipping, minutes_ago=WINDOW_MINUTES + 3)  # ended 31 minutes ago
    assert route_of(directory) == MENU
    NumberRoute.objects.create(hotline_number=skipping.hotline, flow="vip")
    assert route_of(directory)["flow"] == "vip"


def test_another_stations_airing_does_not_count_for_a_station_number(skipping: Any, directory: OrmDirectory) -> None:
    other = factories.make_station(code="jiangsu", name="江苏卫视")
    factories.make_airing(other, starts_at=timezone.now() - datetime.timedelta(minutes=1))
    assert route_of(directory) == MENU


def test_a_number_not_set_to_skip_keeps_its_menu_during_an_airing(world: Any, directory: OrmDirectory) -> None:
    airing_started(world, minutes_ago=1)
    assert route_of(directory) == MENU


def test_an_inactive_number_has_no_route_even_during_an_airing(skipping: Any, directory: OrmDirectory) -> None:
    airing_started(skipping, minutes_ago=1)
    skipping.hotline.active = False
    skipping.hotline.save()
    assert async_to_sync(directory.route)("4008001000") is None
