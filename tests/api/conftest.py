"""Fixtures for the API tests: a client per role, and a shop with an airing and orders in it."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from hotline.orders.models import Status
from tests import factories
from tests.api.helpers import ApiClient, advance, place_order, raw_token


@pytest.fixture
def as_role(users):  # type: ignore[no-untyped-def]
    """`as_role("agent")` -> an ApiClient with a token of the `users` fixture's agent."""
    made: dict[str, ApiClient] = {}

    def client_for(role: str, language: str = "en") -> ApiClient:
        if (role, language) not in made:
            made[role, language] = ApiClient(raw_token(users[role]), language)
        return made[role, language]

    return client_for


@pytest.fixture
def anonymous() -> ApiClient:
    return ApiClient()


@pytest.fixture
def shop(world, users):  # type: ignore[no-untyped-def]
    """The `world` plus an airing running now, an ordered order and a delivered one."""
    world.airing = factories.make_airing(world.station, timezone.now() - datetime.timedelta(minutes=5),
                                         product=world.product, cost="12000.00")
    world.order = place_order(world, users["agent"])
    world.delivered = advance(place_order(world, users["agent"], quantity=1),
                              Status.REVIEWED, Status.SHIPPED, Status.DELIVERED)
    return world
