"""Shared fixtures: one user per role, and a small world (customer, products, station, hotline, airing)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from hotline.lib import bus
from tests import factories

ROLES = ["agent", "supervisor", "logistics", "finance", "manager", "admin"]


@pytest.fixture
def users(db):  # type: ignore[no-untyped-def]
    """One user per role, keyed by role name; `admin` is a superuser as in production."""
    made = {role: factories.make_user(role, username=f"t_{role}") for role in ROLES}
    made["admin"].is_superuser = True
    made["admin"].save()
    return made


@pytest.fixture
def agent(users):  # type: ignore[no-untyped-def]
    return users["agent"]


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    """A customer, an orderable product with a gift and a cross-sell, a station with its number and an airing."""
    from types import SimpleNamespace

    product = factories.make_product("颈椎按摩仪", "398.00")
    gift = factories.make_product("按摩靠枕", "59.00", points=0)
    extra = factories.make_product("护膝", "99.00", points=2)
    factories.make_gift_rule(product, gift, buy=2, get=1)
    factories.make_cross_sell(product, extra, "69.00")
    station = factories.make_station()
    hotline = factories.make_hotline("4008001000", station)
    return SimpleNamespace(customer=factories.make_customer(), product=product, gift=gift, extra=extra,
                           station=station, hotline=hotline)


@pytest.fixture
def english(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Run in English, customers' messages included, so that messages can be asserted exactly."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def events() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every event published on the bus during the test, as (topic, payload)."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def listener(topic: str, payload: dict[str, Any]) -> None:
        seen.append((topic, payload))

    bus.subscribe("*", listener)
    yield seen
    bus.unsubscribe("*", listener)


@pytest.fixture(autouse=True)
def _forget_recent_pop_reads() -> Iterator[None]:
    """The screen pop remembers airings and scripts for a few seconds; each test's database reuses ids."""
    from hotline.desk.pop import forget_recent

    forget_recent()
    yield
    forget_recent()


# Tests that weigh the late-night term on purpose; elsewhere it is off (see `_daytime_refusal_risk`).
_NIGHT_RISK_TESTS = frozenset({"test_risk.py", "test_entry_logistics_warnings.py"})


@pytest.fixture(autouse=True)
def _daytime_refusal_risk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The COD refusal risk adds a term for orders placed 22:00–06:00 (Shanghai), and tests place their orders
    at the wall clock's hour: without this, a test's risk level, hence whether its order needs a confirmation
    call before it ships, would depend on when the suite runs. The tests of that term keep it."""
    if request.node.path.name in _NIGHT_RISK_TESTS:
        return
    import functools

    from hotline.logistics import risk

    monkeypatch.setattr(risk, "RiskModel", functools.partial(risk.RiskModel, night_weight=0.0))
