"""Reads for the reports on refusal rescue (拒收挽回): what came of the calls, and whether the parcels the
customers took back were then delivered. Read-only; the reports screen presents them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from hotline.logistics.actions.tasks import OUTCOMES
from hotline.logistics.models import OrderTask, ShipmentStatus, TaskKind, TaskOutcome, TaskStatus

# Every outcome a rescue call can have, in the order TaskOutcome declares them (a report's stable columns).
RESCUE_OUTCOMES = [outcome.value for outcome in TaskOutcome if outcome in OUTCOMES[TaskKind.RESCUE]]


def _rescues_done(start: datetime.datetime, end: datetime.datetime) -> QuerySet[OrderTask]:
    """Rescue tasks closed in [start, end)."""
    # No ordering: the model's default would join the GROUP BY and the DISTINCT below.
    return OrderTask.objects.filter(kind=TaskKind.RESCUE, status=TaskStatus.DONE, done_at__gte=start,
                                    done_at__lt=end).order_by()


def rescue_outcomes(start: datetime.datetime, end: datetime.datetime) -> dict[str, int]:
    """How many rescue calls closed in [start, end) ended in each outcome; every outcome is present (0 when
    none), so a report's columns never move."""
    counts = dict(_rescues_done(start, end).values("outcome").annotate(n=Count("id"))
                  .values_list("outcome", "n"))
    return {outcome: int(counts.get(outcome, 0)) for outcome in RESCUE_OUTCOMES}


@dataclass(frozen=True)
class RescuedDelivery:
    """Parcels a customer agreed to take after all (rescue outcome “deliver again”, closed in the period),
    and how many of them the courier has since delivered."""

    rescued: int
    delivered: int

    @property
    def share(self) -> float | None:
        """Delivered ÷ rescued, to four places; None when nothing was rescued (no rate, not 0 %)."""
        return round(self.delivered / self.rescued, 4) if self.rescued else None


def rescued_delivery(start: datetime.datetime, end: datetime.datetime) -> RescuedDelivery:
    """Of the parcels rescued with “deliver again” in [start, end), how many ended delivered.

    Counted per parcel (a parcel rescued twice counts once). Delivered means the shipment's state is
    delivered now, whatever the event's own time: a courier's file often reports the delivery after the
    agent's call was recorded, and may date it earlier."""
    parcels = (_rescues_done(start, end).filter(outcome=TaskOutcome.REDELIVER, shipment__isnull=False)
               .values_list("shipment_id", "shipment__status").distinct())
    statuses = dict(parcels)
    return RescuedDelivery(rescued=len(statuses),
                           delivered=sum(1 for status in statuses.values() if status == ShipmentStatus.DELIVERED))
