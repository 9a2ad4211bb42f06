"""Media planning: which station, time slot and weekday pays, and the stations' efficiency over time
(各电视台的效率统计).

**The airings of a period** are those that *started* in it. Their calls are the call facts attributed to
them and their orders the orders attributed to them (docs/attribution.md), whenever those came: a spot at
23:50 on the period's last day keeps the calls and orders of its window.

**Delivered** (shared with the airing funnel): an order is delivered when its status is 已交付 or 已结算
(`DELIVERED_STATUSES`) — it reached the customer and has not come back (a refused, returned or exchanged
order is not); its **delivered revenue** is its total. `delivered_q` is the one condition every report
uses.

**Slots**: an airing belongs to the station that aired it, the weekday of its local start and the slot
of its local start hour (slots of `slot_hours` hours from midnight: 2-hour slots are 00–02, 02–04, …).

Per group of airings: airings, spot cost (sum), calls, orders, delivered orders, delivered revenue,
**cost per delivered order** = spot cost ÷ delivered orders (money rounded half up to the fen; undefined
without a delivered order), **revenue per yuan** = delivered revenue ÷ spot cost (exact; undefined for
free airtime). Figures are SQL aggregates per airing, added up per group in Python (exact Decimals).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.lib.money import ZERO, yuan
from hotline.media.models import Airing, Station
from hotline.orders.models import Order, OrderLine, Status
from hotline.reports.drill import DrillRows, register
from hotline.reports.models import CallFact
from hotline.reports.periods import Period, bucket_annotations, bucket_start

DELIVERED_STATUSES = (Status.DELIVERED, Status.SETTLED)
AMOUNT: DecimalField[Decimal, Decimal] = DecimalField(max_digits=16, decimal_places=2)
SLOT_HOURS = (1, 2, 3)


def delivered_q(prefix: str = "") -> Q:
    """Orders delivered and not come back (see the module docstring); `prefix` e.g. "order__"."""
    return Q(**{f"{prefix}status__in": DELIVERED_STATUSES})


def order_station() -> Coalesce:
    """The station an order is credited to: its airing's, else its hotline number's (as `CallFact.station`)."""
    return Coalesce(F("airing__station_id"), F("hotline_number__station_id"))


def money_sum(expression: str, condition: Q | None = None) -> Coalesce:
    return Coalesce(Sum(expression, filter=condition, output_field=AMOUNT), ZERO, output_field=AMOUNT)


def cost_per(cost: Decimal, count: int) -> Decimal | None:
    """Spot cost per order, half up to the fen; undefined without an order."""
    return (cost / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if count else None


def per_yuan(revenue: Decimal, cost: Decimal) -> Fraction | None:
    """Revenue per yuan of airtime, exact; undefined for free airtime."""
    return Fraction(revenue) / Fraction(cost) if cost else None


# ---------------------------------------------------------------- filters

def parse_station(value: str | None) -> Station | None:
    """`station=<id>` → the station; empty → None; anything else a translated ValidationError."""
    if not value:
        return None
    station = Station.objects.filter(pk=int(value)).first() if value.isdigit() else None
    if station is None:
        raise ValidationError(_("Unknown station: %(value)s") % {"value": value[:40]}, code="bad_station")
    return station


def parse_slot_hours(value: str | None) -> int:
    if not value:
        return 2
    if value not in {str(hours) for hours in SLOT_HOURS}:
        raise ValidationError(_("Time slots are 1, 2 or 3 hours long, not %(value)s.") % {"value": value[:40]},
                              code="bad_slot")
    return int(value)


# ---------------------------------------------------------------- per airing

@dataclass
class Figures:
    """What a group of airings (or one) cost and brought."""

    airings: int = 0
    cost: Decimal = ZERO
    calls: int = 0
    orders: int = 0
    delivered: int = 0
    revenue: Decimal = ZERO

    def add(self, other: Figures) -> None:
        self.airings += other.airings
        self.cost += other.cost
        self.calls += other.calls
        self.orders += other.orders
        self.delivered += other.delivered
        self.revenue += other.revenue

    @property
    def cost_per_delivered(self) -> Decimal | None:
        return cost_per(self.cost, self.delivered)

    @property
    def revenue_per_yuan(self) -> Fraction | None:
        return per_yuan(self.revenue, self.cost)

    def as_dict(self) -> dict[str, Any]:
        return {"airings": self.airings, "cost": self.cost, "calls": self.calls, "orders": self.orders,
                "delivered": self.delivered, "revenue": self.revenue,
                "cost_per_delivered": self.cost_per_delivered, "revenue_per_yuan": self.revenue_per_yuan}


@dataclass
class AiringRow:
    """One airing with its figures; `local` is its local start."""

    pk: int
    station_id: int
    local: datetime.datetime
    figures: Figures

    def slot(self, hours: int) -> int:
        return self.local.hour // hours * hours


def airings_of(period: Period, station: Station | None = None) -> QuerySet[Airing]:
    airings = Airing.objects.filter(starts_at__gte=period.start, starts_at__lt=period.end)
    return airings.filter(station=station) if station is not None else airings


def airing_rows(period: Period, station: Station | None = None) -> list[AiringRow]:
    """Every airing that started in the period, with its calls, orders and delivered orders (3 queries)."""
    airings = airings_of(period, station)
    ids = airings.values("pk")
    calls = dict(CallFact.objects.filter(airing_id__in=ids).order_by().values("airing_id")
                 .annotate(n=Count("pk")).values_list("airing_id", "n"))
    orders = {row["airing_id"]: row for row in Order.objects.filter(airing_id__in=ids).order_by()
              .values("airing_id").annotate(n=Count("pk", filter=~Q(status=Status.CANCELLED)),  # as the funnel's
                                            delivered=Count("pk", filter=delivered_q()),
                                            revenue=money_sum("total", delivered_q()))}
    rows = []
    for pk, station_id, starts_at, cost in airings.order_by("starts_at", "pk").values_list(
            "pk", "station_id", "starts_at", "cost"):
        placed = orders.get(pk, {})
        figures = Figures(1, yuan(cost), calls.get(pk, 0), placed.get("n", 0), placed.get("delivered", 0),
                          yuan(placed.get("revenue") or ZERO))
        rows.append(AiringRow(pk, station_id, timezone.localtime(starts_at), figures))
    return rows


# ---------------------------------------------------------------- station × slot × weekday

@dataclass
class SlotRow:
    """A station's airings in one time slot of one weekday (0 = Monday)."""

    station_id: int
    weekday: int
    slot: int
    figures: Figures = field(default_factory=Figures)
    airing_ids: list[int] = field(default_factory=list)


def slot_rows(rows: Iterable[AiringRow], hours: int) -> list[SlotRow]:
    grouped: dict[tuple[int, int, int], SlotRow] = {}
    for row in rows:
        key = (row.station_id, row.local.weekday(), row.slot(hours))
        group = grouped.setdefault(key, SlotRow(*key))
        group.figures.add(row.figures)
        group.airing_ids.append(row.pk)
    return list(grouped.values())


RANKINGS = {"cost": "cost_per_delivered", "revenue": "revenue_per_yuan", "delivered": "delivered", "calls": "calls"}
MONEY_RANKINGS = ("cost", "revenue")


def parse_rank(value: str | None, money: bool) -> str:
    """`rank=`: cost (cost per delivered order, cheapest first) or revenue (revenue per yuan, best first)
    for those who see spend (default cost); delivered or calls (most first) for the others (default
    delivered)."""
    rank = value or ("cost" if money else "delivered")
    if rank not in RANKINGS:
        raise ValidationError(_("Unknown ranking: %(value)s") % {"value": rank[:40]}, code="bad_rank")
    if rank in MONEY_RANKINGS and not money:
        raise ValidationError(_("Ranking by spend needs the permission to see media spend."), code="no_spend")
    return rank


def ranked(rows: list[SlotRow], rank: str, names: dict[int, str]) -> list[SlotRow]:
    """Best first; groups where the figure is undefined last; ties by station, weekday and slot."""
    def key(row: SlotRow) -> tuple[Any, ...]:
        value = getattr(row.figures, RANKINGS[rank])
        tie = (names.get(row.station_id, ""), row.weekday, row.slot)
        if value is None:
            return (1, 0, *tie)
        return (0, value if rank == "cost" else -value, *tie)
    return sorted(rows, key=key)


def heat_cells(rows: Iterable[SlotRow], money: bool) -> dict[tuple[int, int], Any]:
    """{(weekday, slot): delivered revenue per yuan (money) or calls}, all stations added up; a cell
    with no airtime cost has no revenue per yuan (None)."""
    totals: dict[tuple[int, int], Figures] = defaultdict(Figures)
    for row in rows:
        totals[(row.weekday, row.slot)].add(row.figures)
    return {key: (figures.revenue_per_yuan if money else figures.calls) for key, figures in totals.items()}


def totals_of(rows: Iterable[AiringRow]) -> Figures:
    total = Figures()
    for row in rows:
        total.add(row.figures)
    return total


# ---------------------------------------------------------------- products by station

def product_station_rows(period: Period, station: Station | None = None) -> list[dict[str, Any]]:
    """Per (station, product): orders placed in the period with a (non-gift) line of the product, units,
    delivered orders and delivered revenue (the lines' totals on delivered orders). Station as in
    `order_station` (None: not attributed)."""
    lines = (OrderLine.objects.filter(is_gift=False, order__created_at__gte=period.start,
                                      order__created_at__lt=period.end)
             .annotate(station_id=Coalesce(F("order__airing__station_id"), F("order__hotline_number__station_id"))))
    if station is not None:
        lines = lines.filter(station_id=station.pk)
    return list(lines.order_by().values("station_id", "product_id", "product__name").annotate(
        orders=Count("order_id", distinct=True), units=Sum("quantity"),
        delivered=Count("order_id", distinct=True, filter=delivered_q("order__")),
        revenue=money_sum("line_total", delivered_q("order__"))))


# ---------------------------------------------------------------- station efficiency (各电视台的效率统计)

def station_series(period: Period, station: Station | None = None) -> dict[tuple[datetime.datetime, int | None],
                                                                          dict[str, int]]:
    """{(bucket start, station id): {"calls", "orders"}}: calls that arrived (call facts, by their
    station) and orders placed (by `order_station`) per bucket of the period's grain."""
    found: dict[tuple[datetime.datetime, int | None], dict[str, int]] = defaultdict(lambda: {"calls": 0,
                                                                                             "orders": 0})
    grain = period.grain
    calls = CallFact.objects.filter(arrived_at__gte=period.start, arrived_at__lt=period.end)
    orders = Order.objects.filter(created_at__gte=period.start, created_at__lt=period.end).annotate(
        station_id=order_station())
    if station is not None:
        calls, orders = calls.filter(station=station), orders.filter(station_id=station.pk)
    annotations = bucket_annotations("arrived_at", grain, period)
    for row in calls.annotate(**annotations).order_by().values(*annotations, "station_id").annotate(n=Count("pk")):
        found[(bucket_start(row, grain), row["station_id"])]["calls"] += row["n"]
    annotations = bucket_annotations("created_at", grain, period)
    for row in orders.annotate(**annotations).order_by().values(*annotations, "station_id").annotate(n=Count("pk")):
        found[(bucket_start(row, grain), row["station_id"])]["orders"] += row["n"]
    return dict(found)


# ---------------------------------------------------------------- drill-down: the airings behind a slot

def _int_param(params: dict[str, str], name: str) -> int:
    value = params.get(name, "")
    if not value.isdigit():
        raise ValidationError(_("%(name)s must be a whole number: %(value)s") % {"name": name, "value": value[:40]},
                              code="bad_param")
    return int(value)


def _moment(params: dict[str, str], name: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(params.get(name, ""))
    except ValueError:
        raise ValidationError(_("%(name)s is not a time: %(value)s") % {"name": name,
                                                                          "value": params.get(name, "")[:40]},
                              code="bad_param") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


@register("media_slot")
def media_slot_drill(params: dict[str, str]) -> DrillRows:
    """The airings of a station that started in [start, end) on a weekday (0 = Monday) in the slot
    starting at hour `slot` of `slot_hours` hours, each with its figures (they add up to the slot's row)."""
    from hotline.reports.tables import Column

    start, end = _moment(params, "start"), _moment(params, "end")
    station = parse_station(params.get("station") or "")
    if station is None:
        raise ValidationError(_("Name the station."), code="bad_param")
    weekday, slot = _int_param(params, "weekday"), _int_param(params, "slot")
    hours = parse_slot_hours(params.get("slot_hours") or "")
    rows = [row for row in airing_rows(Period(start, end), station)
            if row.local.weekday() == weekday and row.slot(hours) == slot]
    shown = [{"airing": row.pk, "starts_at": row.local, "calls": row.figures.calls, "orders": row.figures.orders,
              "delivered": row.figures.delivered} for row in rows]
    columns = [Column("airing", _("Airing"), "text"), Column("starts_at", _("Starts at"), "datetime"),
               Column("calls", _("Calls")), Column("orders", _("Orders")),
               Column("delivered", _("Delivered orders"))]
    return DrillRows(_("Airings of %(station)s") % {"station": station}, columns, shown, len(shown))
