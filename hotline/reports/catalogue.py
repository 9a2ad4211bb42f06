"""The custom reports' catalogue (自定义报表): the fixed, documented list of sources, and for each the
dimensions a report may group by and the measures it may show. A custom report is only ever a choice of
keys from here; every key resolves to Django ORM `values()` / `annotate()` expressions, so no text a user
types ever reaches SQL (filter values are checked and passed as query parameters).

Sources:
- `calls` — one row per call (CallFact), on its arrival time;
- `visits` — one row per queue visit (VisitFact), on the time it entered the queue; the KPIs come from
  `hotline.reports.callstats` (one definition with every other report);
- `orders` — one row per order (orders.Order), on its creation time; grouped by product, the rows are the
  order lines of that product (see `ORDERS` below).

`compute(source, queryset, dimensions, measures)` returns {dimension values: {measure key: value}}.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.db.models import Count, DecimalField, Expression, F, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, ExtractHour
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.calls.models import Direction, Outcome
from hotline.orders.models import Order, OrderLine, PaymentMethod, Status
from hotline.reports.callstats import VisitCounts, visit_counts
from hotline.reports.models import CallFact, VisitFact
from hotline.reports.periods import bucket_annotations

TIME_GRAINS = ("hour", "day", "week", "month")
VISIT_RESULTS = {"answered": _("answered"), "abandoned": _("abandoned"), "callback": _("callback"),
                 "transferred": _("transferred"), "overflow": _("overflow"), "waiting": _("waiting")}


@dataclass(frozen=True)
class Dimension:
    """What rows may be grouped by. `path` is the field (from the source's model) grouped on; `grain` makes
    it a time bucket of that field (hour, day, week, month) or "hour_of_day"; `filter` says how a filter
    on it is checked: "model" (ids of `model`, "none" for no value when `nullable`), "choices" (the keys of
    `choices`) or "text"; time dimensions cannot be filtered (the period does that). `drill` is the
    parameter of the shared drill-down vocabulary it maps to ("" when none)."""

    key: str
    label: Any
    kind: str
    path: str
    how: str
    grain: str = ""
    filter: str = ""
    model: Any = None
    nullable: bool = False
    choices: dict[str, Any] = field(default_factory=dict)
    display: str = ""  # the model field shown for an id ("name", "number"…)
    drill: str = ""

    @property
    def filterable(self) -> bool:
        return bool(self.filter)


@dataclass(frozen=True)
class Measure:
    """A figure: `key`, `label`, `kind` (a tables.Column kind) and `how` (the SQL aggregate it is, for
    the docs and the builder's help); `drill` adds parameters to the rows behind it (None: no drill)."""

    key: str
    label: Any
    kind: str
    how: str
    drill: dict[str, str] | None = None


@dataclass(frozen=True)
class Source:
    """A kind of row a custom report counts: its date field (the period applies to it), its dimensions
    and measures, and the drill-down listing its rows."""

    key: str
    label: Any
    model: Any
    date_field: str
    dimensions: dict[str, Dimension]
    measures: dict[str, Measure]
    drill: str
    how: str


def _time_dimensions(date_field: str) -> list[Dimension]:
    return [
        Dimension("hour", _("Hour"), "datetime", date_field, f"{date_field} truncated to the local hour", "hour"),
        Dimension("day", _("Day"), "date", date_field, f"{date_field} truncated to the local day", "day"),
        Dimension("week", _("Week"), "date", date_field, f"{date_field} truncated to the local week (Monday)",
                  "week"),
        Dimension("month", _("Month"), "date", date_field, f"{date_field} truncated to the local month", "month"),
        Dimension("hour_of_day", _("Hour of day"), "text", date_field, f"the local hour of {date_field} (0–23)",
                  "hour_of_day"),
    ]


def _by_key(items: Sequence[Any]) -> dict[str, Any]:
    return {item.key: item for item in items}


def _media_models() -> tuple[Any, Any, Any]:
    from hotline.media.models import Airing, HotlineNumber, Station

    return Station, Airing, HotlineNumber


Station, Airing, HotlineNumber = _media_models()


def _product_model() -> Any:
    from hotline.catalog.models import Product

    return Product


CALLS = Source(
    "calls", _("Calls"), CallFact, "arrived_at",
    _by_key([
        *_time_dimensions("arrived_at"),
        Dimension("station", _("Station"), "text", "station", "the airing's station, else the hotline number's",
                  filter="model", model=Station, nullable=True, display="name", drill="station"),
        Dimension("airing", _("Airing"), "text", "airing", "the airing the call is attributed to",
                  filter="model", model=Airing, nullable=True, drill="airing"),
        Dimension("hotline_number", _("Hotline number"), "text", "hotline_number", "the number dialled",
                  filter="model", model=HotlineNumber, nullable=True, display="number", drill="hotline_number"),
        Dimension("queue", _("Queue"), "text", "queue", "the first queue the call entered", filter="text",
                  drill="queue"),
        Dimension("agent", _("Agent"), "text", "agent_key", "the first agent who answered", filter="text",
                  drill="agent"),
        Dimension("outcome", _("Outcome"), "text", "outcome", "how the call ended", filter="choices",
                  choices={**dict(Outcome.choices), "open": _("open")}, drill="outcome"),
        Dimension("direction", _("Direction"), "text", "direction", "inbound or outbound", filter="choices",
                  choices=dict(Direction.choices), drill="direction"),
    ]),
    _by_key([
        Measure("calls", _("Calls"), "int", "COUNT(*)", {}),
        Measure("answered", _("Answered"), "int", "COUNT(*) WHERE outcome = answered", {"outcome": "answered"}),
        Measure("abandoned", _("Abandoned in queue"), "int",
                "COUNT(*) WHERE outcome IN (abandoned_in_queue, short_abandon)",
                {"outcome": "abandoned_in_queue,short_abandon"}),
        Measure("left_ivr", _("Left in IVR"), "int", "COUNT(*) WHERE outcome = abandoned_in_ivr",
                {"outcome": "abandoned_in_ivr"}),
        Measure("blocked", _("Blocked (503)"), "int", "COUNT(*) WHERE outcome = refused_503",
                {"outcome": "refused_503"}),
        Measure("callbacks", _("Callbacks"), "int", "COUNT(*) WHERE outcome = callback", {"outcome": "callback"}),
        Measure("talk", _("Talk time (s)"), "seconds", "SUM(talk_ms) / 1000"),
        Measure("average_wait", _("Average wait (s)"), "seconds",
                "SUM(wait_ms) / COUNT(wait_ms) / 1000 (calls that queued)"),
    ]),
    "calls", "CallFact rows with arrived_at in the period",
)

VISITS = Source(
    "visits", _("Queue visits"), VisitFact, "entered_at",
    _by_key([
        *_time_dimensions("entered_at"),
        Dimension("queue", _("Queue"), "text", "queue", "the queue visited", filter="text", drill="queue"),
        Dimension("agent", _("Agent"), "text", "agent_key", "the agent who answered the visit", filter="text",
                  drill="agent"),
        Dimension("result", _("Result"), "text", "result", "how the visit ended", filter="choices",
                  choices=VISIT_RESULTS, drill="result"),
    ]),
    _by_key([
        Measure("offered", _("Offered"), "int", "COUNT(*)", {}),
        Measure("answered", _("Answered"), "int", "COUNT(*) WHERE result = answered", {"result": "answered"}),
        Measure("abandoned", _("Abandoned"), "int", "COUNT(*) WHERE result = abandoned AND NOT short",
                {"result": "abandoned", "short": "0"}),
        Measure("short_abandons", _("Short abandons"), "int", "COUNT(*) WHERE result = abandoned AND short",
                {"result": "abandoned", "short": "1"}),
        Measure("service_level", _("Service level"), "percent",
                "answered within T / (answered + abandoned − short abandons) (docs/kpi.md, exclude_short)"),
        Measure("asa", _("ASA (s)"), "seconds", "SUM(wait_ms of answered) / answered / 1000"),
        Measure("abandon_rate", _("Abandon rate"), "percent", "abandoned / (offered − short abandons)"),
    ]),
    "visits", "VisitFact rows with entered_at in the period",
)

ORDERS = Source(
    "orders", _("Orders"), Order, "created_at",
    _by_key([
        *[d for d in _time_dimensions("created_at") if d.key in ("day", "week", "month")],
        Dimension("station", _("Station"), "text", "station", "the order's airing's station, else its hotline "
                  "number's", filter="model", model=Station, nullable=True, display="name", drill="station"),
        Dimension("airing", _("Airing"), "text", "airing", "the airing the order is attributed to",
                  filter="model", model=Airing, nullable=True, drill="airing"),
        Dimension("agent", _("Agent"), "text", "agent__username", "the user who took the order", filter="text",
                  drill="agent"),
        Dimension("status", _("Status"), "text", "status", "the order's status now", filter="choices",
                  choices=dict(Status.choices), drill="status"),
        Dimension("payment_method", _("Payment method"), "text", "payment_method", "how the order is paid",
                  filter="choices", choices=dict(PaymentMethod.choices), drill="payment_method"),
        Dimension("province", _("Province"), "text", "province", "the delivery address's province",
                  filter="text", drill="province"),
        Dimension("product", _("Product"), "text", "product", "the product of the order's lines (the rows become "
                  "order lines)", filter="model", model=None, display="name", drill="product"),
    ]),
    _by_key([
        Measure("orders", _("Orders"), "int", "COUNT(DISTINCT order)", {}),
        Measure("revenue", _("Revenue"), "money", "SUM(total); by product: SUM(line_total) of its lines"),
        Measure("average_order_value", _("Average order value"), "money", "revenue / orders, to the fen"),
        Measure("items", _("Items"), "int", "SUM(quantity) of the lines that are not gifts"),
        Measure("gifts", _("Gifts"), "int", "SUM(quantity) of the gift lines"),
    ]),
    "orders", "orders.Order rows with created_at in the period (every status: filter by status to leave some out)",
)

SOURCES: dict[str, Source] = {source.key: source for source in (CALLS, VISITS, ORDERS)}
MAX_DIMENSIONS = 3


def filter_model(dimension: Dimension) -> Any:
    """The model a "model" filter's ids name (the product model is imported late: catalog imports orders)."""
    return dimension.model if dimension.model is not None else _product_model()


# ------------------------------------------------------------------------------------------ computing

def _dim_expression(dimension: Dimension, prefix: str) -> Expression | F:
    """The SQL expression grouping by `dimension`, for rows reached through `prefix` ("" or "order__")."""
    path = prefix + dimension.path
    if dimension.grain == "hour_of_day":
        return ExtractHour(path, tzinfo=timezone.get_current_timezone())
    if dimension.grain:
        return bucket_annotations(path, dimension.grain)["bucket"]
    return F(path)


def order_station(prefix: str = "") -> Expression:
    """An order's station: its airing's, else its hotline number's (the drill vocabulary's definition)."""
    return Coalesce(F(f"{prefix}airing__station"), F(f"{prefix}hotline_number__station"))


def _grouped(source: Source, queryset: QuerySet[Any], dimensions: Sequence[str], prefix: str = "",
             product_path: str = "") -> tuple[QuerySet[Any], list[str]]:
    """`queryset` annotated with d_<key> per dimension; the annotation names, in order."""
    annotations: dict[str, Any] = {}
    for key in dimensions:
        dimension = source.dimensions[key]
        if source is ORDERS and key == "station":
            annotations[f"d_{key}"] = order_station(prefix)
        elif source is ORDERS and key == "product":
            annotations[f"d_{key}"] = F(product_path)
        else:
            annotations[f"d_{key}"] = _dim_expression(dimension, prefix)
    names = list(annotations)
    return queryset.order_by().annotate(**annotations), names


def _rows(queryset: QuerySet[Any], names: list[str], aggregates: dict[str, Any]) -> list[dict[str, Any]]:
    if names:
        return list(queryset.values(*names).annotate(**aggregates))
    return [queryset.aggregate(**aggregates)]


def _key(row: dict[str, Any], names: list[str]) -> tuple[Any, ...]:
    return tuple(row[name] for name in names)


def _count(condition: Q | None = None) -> Count:
    return Count("id", filter=condition)


def _int_sum(path: str, condition: Q | None = None) -> Coalesce:
    return Coalesce(Sum(path, filter=condition), Value(0), output_field=IntegerField())


def _seconds(total_ms: int | None, count: int | None = 1) -> Fraction | None:
    return None if total_ms is None or not count else Fraction(total_ms, 1000 * count)


def _calls(queryset: QuerySet[Any], dimensions: Sequence[str]) -> dict[tuple[Any, ...], dict[str, Any]]:
    grouped, names = _grouped(CALLS, queryset, dimensions)
    aggregates = {
        "calls": _count(), "answered": _count(Q(outcome=Outcome.ANSWERED)),
        "abandoned": _count(Q(outcome__in=[Outcome.ABANDONED_IN_QUEUE, Outcome.SHORT_ABANDON])),
        "left_ivr": _count(Q(outcome=Outcome.ABANDONED_IN_IVR)), "blocked": _count(Q(outcome=Outcome.REFUSED_503)),
        "callbacks": _count(Q(outcome=Outcome.CALLBACK)), "talk_total": _int_sum("talk_ms"),
        "wait_total": _int_sum("wait_ms"), "waited": Count("wait_ms"),
    }
    found = {}
    for row in _rows(grouped, names, aggregates):
        values = {key: row[key] for key in ("calls", "answered", "abandoned", "left_ivr", "blocked", "callbacks")}
        values["talk"] = _seconds(row["talk_total"])
        values["average_wait"] = _seconds(row["wait_total"], row["waited"])
        found[_key(row, names)] = values
    return found


def _visit_values(counts: VisitCounts) -> dict[str, Any]:
    return {"offered": counts.queued, "answered": counts.answered, "abandoned": counts.abandoned,
            "short_abandons": counts.short_abandons, "service_level": counts.service_level(),
            "asa": counts.asa, "abandon_rate": counts.abandon_rate}


def _visits(queryset: QuerySet[Any], dimensions: Sequence[str]) -> dict[tuple[Any, ...], dict[str, Any]]:
    grouped, names = _grouped(VISITS, queryset, dimensions)
    return {key: _visit_values(counts) for key, counts in visit_counts(grouped, names).items()}


FEN = Decimal("0.01")


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(FEN)


def _orders(queryset: QuerySet[Any], dimensions: Sequence[str]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Orders per group. Without the product dimension: counts and revenue over the orders, items and gifts
    over their lines (a second query: a join would repeat each order's total once per line). With it: the
    rows are the order lines, and revenue is the sum of the product's line totals."""
    lines = OrderLine.objects.filter(order__in=queryset.values("id"))
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=14, decimal_places=2)
    line_aggregates = {"items": _int_sum("quantity", Q(is_gift=False)),
                       "gifts": _int_sum("quantity", Q(is_gift=True))}
    if "product" in dimensions:
        grouped, names = _grouped(ORDERS, lines, dimensions, prefix="order__", product_path="product")
        aggregates = {"orders": Count("order", distinct=True, filter=Q(is_gift=False)),
                      "revenue": Coalesce(Sum("line_total"), Value(Decimal(0)), output_field=money),
                      **line_aggregates}
        found = {_key(row, names): {k: row[k] for k in aggregates} for row in _rows(grouped, names, aggregates)}
    else:
        grouped, names = _grouped(ORDERS, queryset, dimensions)
        aggregates = {"orders": _count(), "revenue": Coalesce(Sum("total"), Value(Decimal(0)), output_field=money)}
        found = {_key(row, names): {k: row[k] for k in aggregates} for row in _rows(grouped, names, aggregates)}
        by_lines, line_names = _grouped(ORDERS, lines, dimensions, prefix="order__")
        for row in _rows(by_lines, line_names, line_aggregates):
            target = found.setdefault(_key(row, line_names), {"orders": 0, "revenue": Decimal(0)})
            target.update({k: row[k] for k in line_aggregates})
    for values in found.values():
        values.setdefault("items", 0)
        values.setdefault("gifts", 0)
        values["revenue"] = _money(values["revenue"])
        orders = values["orders"]
        values["average_order_value"] = (values["revenue"] / orders).quantize(FEN, ROUND_HALF_UP) if orders else None
    return found


COMPUTE: dict[str, Callable[[QuerySet[Any], Sequence[str]], dict[tuple[Any, ...], dict[str, Any]]]] = {
    "calls": _calls, "visits": _visits, "orders": _orders}


def compute(source: Source, queryset: QuerySet[Any], dimensions: Sequence[str]) -> dict[tuple[Any, ...],
                                                                                     dict[str, Any]]:
    """Every measure of `source` over `queryset`, per distinct value of `dimensions` (one entry keyed ()
    when there are none): {(dimension values…): {measure key: value}}."""
    found = COMPUTE[source.key](queryset, dimensions)
    if not dimensions and not found:
        found = {(): {}}
    return found


def local_date(value: Any) -> Any:
    """A time bucket as the local date it starts (day, week, month dimensions)."""
    if isinstance(value, datetime.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).date()
    return value
