"""The rescue report's reads: outcomes of the rescue calls closed in a period, and the share of the parcels
rescued with "deliver again" that the courier then delivered."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from hotline.logistics.models import ShipmentStatus, TaskKind, TaskStatus
from hotline.logistics.task_stats import RescuedDelivery, rescue_outcomes, rescued_delivery
from tests import factories
from tests.desk.task_world import make_courier, make_order, make_shipment, make_task

pytestmark = pytest.mark.django_db

START = timezone.make_aware(datetime.datetime(2026, 12, 1))
END = START + datetime.timedelta(days=7)
IN, BEFORE, AFTER = START + datetime.timedelta(days=2), START - datetime.timedelta(seconds=1), END


def rescue(world: Any, outcome: str, done_at: datetime.datetime | None, parcel: str = ShipmentStatus.REFUSED,
           kind: str = TaskKind.RESCUE, shipment: Any = None) -> Any:
    order = make_order(world["customer"], world["product"], status="refused")
    shipment = shipment or make_shipment(order, world["courier"], parcel)
    return make_task(shipment.order, kind, urgent=True, shipment=shipment, outcome=outcome, done_at=done_at,
                     status=TaskStatus.DONE if done_at else TaskStatus.OPEN)


@pytest.fixture
def world() -> dict[str, Any]:
    return {"customer": factories.make_customer(), "product": factories.make_product(),
            "courier": make_courier()}


def test_outcomes_count_the_rescue_calls_closed_in_the_period(world: dict[str, Any]) -> None:
    for outcome in ["redeliver", "redeliver", "redeliver", "address", "cancel", "unreached", "unreached"]:
        rescue(world, outcome, IN)
    rescue(world, "redeliver", START)  # the start is in
    rescue(world, "cancel", BEFORE)
    rescue(world, "cancel", AFTER)  # the end is out
    rescue(world, "", None)  # still open
    rescue(world, "confirmed", IN, kind=TaskKind.CONFIRM)  # not a rescue

    assert rescue_outcomes(START, END) == {"redeliver": 4, "address": 1, "cancel": 1, "unreached": 2}


def test_a_period_without_rescues_has_every_outcome_at_zero(world: dict[str, Any]) -> None:
    assert rescue_outcomes(START, END) == {"redeliver": 0, "address": 0, "cancel": 0, "unreached": 0}
    assert rescued_delivery(START, END) == RescuedDelivery(rescued=0, delivered=0)
    assert rescued_delivery(START, END).share is None


def test_the_share_of_rescued_parcels_delivered(world: dict[str, Any]) -> None:
    rescue(world, "redeliver", IN, parcel=ShipmentStatus.DELIVERED)
    rescue(world, "redeliver", IN, parcel=ShipmentStatus.DELIVERED)
    rescue(world, "redeliver", IN, parcel=ShipmentStatus.RETURNING)  # refused again
    twice = rescue(world, "redeliver", IN, parcel=ShipmentStatus.DELIVERED)  # rescued twice: one parcel
    rescue(world, "redeliver", IN, shipment=twice.shipment, kind=TaskKind.RESCUE)
    rescue(world, "redeliver", IN, parcel=ShipmentStatus.OUT_FOR_DELIVERY)  # on its way again
    rescue(world, "address", IN, parcel=ShipmentStatus.DELIVERED)  # not "deliver again"
    rescue(world, "redeliver", BEFORE, parcel=ShipmentStatus.DELIVERED)  # another period

    result = rescued_delivery(START, END)

    assert result == RescuedDelivery(rescued=5, delivered=3)
    assert result.share == 0.6
