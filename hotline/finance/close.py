"""The daily close (日结): a day's figures computed from the rows behind them.

**When a row counts.** Every figure counts rows by when they were *recorded in Hotline*, in the business
day of Asia/Shanghai (local midnight to midnight): an order by `Order.created_at`, a status step by
`OrderStatusChange.at`, a payment, refund or settlement entry by its `recorded_at`. So a correction recorded
later (a negative payment, a reversed settlement, a parcel returned) counts on the day it was made, and a
closed day's figures never change.

**The figures** (`FIGURES`; amounts are Decimal yuan, stored as strings; `count` is a number of rows):

- `orders_taken`: orders created that day — count, `value` (the orders' totals).
- `reviewed`: orders moved to reviewed that day — count, `value`.
- `shipped`: orders moved to shipped — count, `value`, `freight` (their parcel's freight).
- `delivered`: orders moved to delivered — count, `value`.
- `refused`: orders moved to refused — count, `value`, `freight` (outbound), `return_freight`,
  `freight_both_ways` (the two added up).
- `returned`: orders moved to returned — count, `value`.
- `remitted`: COD payments from couriers' remittance statements (Payment rows with a remittance line) —
  count, `amount` (collected), `fee` (the lines' COD fees), `net` (amount less fee).
- `other_payments`: every other Payment row (transfers, card, post office; corrections are negative rows)
  — count, `amount`.
- `refunds`: Refund rows (corrections negative) — count, `amount`.
- `settlements`: SettlementEntry rows — count, `amount` (net), `settled` (settle entries), `reversed`
  (reverse entries, negative).
- `outstanding`: the receivables at the end of the day (see below) — count, `amount`, `by_courier`
  ({courier code: {"count", "amount"}}, the shape `hotline.finance.receivables.outstanding_figure` uses).

"Value" is the order's total and "freight" its parcel's (the order's latest parcel that was not
cancelled), as they are when the figure is computed: an order's total is fixed once shipped, and the return
freight of a refusal is known only when the goods come back, so a past day's *live* figures may still move
there; the stored close keeps what was known when the day was closed.

**Outstanding at the end of the day** is replayed from the rows, not taken "as now": a parcel with cash
to collect (`cod_due` > 0) that was delivered (`delivered_at` set), whose order's last status step recorded
before the day's end was *delivered* (so neither settled, returned nor exchanged yet), less the order's
payments recorded before the day's end; parcels still owing more than nothing are counted. For today (the
day not over) this is the same set as the live receivables (`hotline.finance.receivables`).

`figure_rows(day, key)` is the queryset behind a figure, annotated with the figure's amount fields under
the same names, and `day_figures` adds exactly those querysets up: the rows of a figure always add up to it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hotline.finance.models import DailyClose, Payment, Refund, SettlementEntry, SettlementKind
from hotline.lib.money import ZERO, yuan
from hotline.logistics.models import Courier, Shipment, ShipmentStatus
from hotline.orders.models import Order, OrderStatusChange, Status

# Wide enough for a day's sums; two places so that SQLite's (floating point) sums come back to the fen.
AMOUNT: DecimalField[Decimal, Decimal] = DecimalField(max_digits=16, decimal_places=2)
# SQLite adds money up in floating point: "more than nothing" is more than half a fen.
HALF_FEN = Decimal("0.005")


@dataclass(frozen=True)
class Figure:
    """One figure of the close: its key, label, and amount fields (name, label), the first the main one."""

    key: str
    label: str | Promise
    fields: tuple[tuple[str, str | Promise], ...]

    @property
    def main(self) -> str:
        return self.fields[0][0]


VALUE = ("value", _("Value"))
AMOUNT_FIELD = ("amount", _("Amount"))
FIGURES: tuple[Figure, ...] = (
    Figure("orders_taken", _("Orders taken"), (VALUE,)),
    Figure("reviewed", _("Reviewed"), (VALUE,)),
    Figure("shipped", _("Shipped"), (VALUE, ("freight", _("Freight")))),
    Figure("delivered", _("Delivered"), (VALUE,)),
    Figure("refused", _("Refused"), (VALUE, ("freight", _("Freight")), ("return_freight", _("Return freight")),
                                     ("freight_both_ways", _("Freight both ways")))),
    Figure("returned", _("Returned"), (VALUE,)),
    Figure("remitted", _("Remitted by couriers"), (AMOUNT_FIELD, ("fee", _("COD fee")), ("net", _("Net paid")))),
    Figure("other_payments", _("Other payments"), (AMOUNT_FIELD,)),
    Figure("refunds", _("Refunds"), (AMOUNT_FIELD,)),
    Figure("settlements", _("Settlements"), (("amount", _("Net")), ("settled", _("Settled")),
                                             ("reversed", _("Settlement reversed")))),
    Figure("outstanding", _("Outstanding receivables"), (AMOUNT_FIELD,)),
)
FIGURE_KEYS = tuple(figure.key for figure in FIGURES)
BY_KEY = {figure.key: figure for figure in FIGURES}


def figure_of(key: str) -> Figure:
    """The figure with this key; KeyError for any other."""
    return BY_KEY[key]


# ---------------------------------------------------------------- days

def business_tz() -> datetime.tzinfo:
    """The business day's time zone (settings.TIME_ZONE, Asia/Shanghai), whatever a request activated."""
    return timezone.get_default_timezone()


def today() -> datetime.date:
    return timezone.localdate(timezone=business_tz())


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """Local midnight at the start of `day` and of the next day, as aware datetimes."""
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=business_tz())
    return start, datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min,
                                            tzinfo=business_tz())


def has_ended(day: datetime.date) -> bool:
    return day < today()


# ---------------------------------------------------------------- the rows behind each figure

def _parcel(field: str, output: Any = None) -> Subquery:
    """A field of the order's parcel (its latest one not cancelled), for rows with an `order_id`."""
    parcels = (Shipment.objects.filter(order_id=OuterRef("order_id")).exclude(status=ShipmentStatus.CANCELLED)
               .order_by("-pk").values(field)[:1])
    return Subquery(parcels, output_field=output) if output is not None else Subquery(parcels)


def _money(expression: Any) -> Any:
    return Coalesce(expression, Value(ZERO), output_field=AMOUNT)


def _steps(day: datetime.date, to_status: str) -> QuerySet[OrderStatusChange]:
    """Orders moved to `to_status` that day, each with its order's total as `value`."""
    start, end = day_bounds(day)
    return (OrderStatusChange.objects.filter(to_status=to_status, at__gte=start, at__lt=end)
            .select_related("order", "actor")
            .annotate(value=ExpressionWrapper(F("order__total"), output_field=AMOUNT),
                      courier=_parcel("courier__name"), tracking_number=_parcel("tracking_number"))
            .order_by("at", "pk"))


def _orders_taken(day: datetime.date) -> QuerySet[Any]:
    start, end = day_bounds(day)
    return (Order.objects.filter(created_at__gte=start, created_at__lt=end).select_related("agent")
            .annotate(value=ExpressionWrapper(F("total"), output_field=AMOUNT)).order_by("created_at", "pk"))


def _shipped(day: datetime.date) -> QuerySet[Any]:
    return _steps(day, Status.SHIPPED).annotate(freight=_money(_parcel("freight", AMOUNT)))


def _refused(day: datetime.date) -> QuerySet[Any]:
    return (_steps(day, Status.REFUSED)
            .annotate(freight=_money(_parcel("freight", AMOUNT)),
                      return_freight=_money(_parcel("return_freight", AMOUNT)))
            .annotate(freight_both_ways=ExpressionWrapper(F("freight") + F("return_freight"), output_field=AMOUNT)))


def _recorded(model: Any, day: datetime.date) -> QuerySet[Any]:
    start, end = day_bounds(day)
    return (model.objects.filter(recorded_at__gte=start, recorded_at__lt=end)
            .select_related("order", "recorded_by").order_by("recorded_at", "pk"))


def _remitted(day: datetime.date) -> QuerySet[Any]:
    return (_recorded(Payment, day).filter(remittance_line__isnull=False)
            .select_related("remittance_line__statement__courier")
            .annotate(fee=ExpressionWrapper(F("remittance_line__fee"), output_field=AMOUNT))
            .annotate(net=ExpressionWrapper(F("amount") - F("fee"), output_field=AMOUNT)))


def _settlements(day: datetime.date) -> QuerySet[Any]:
    def kind(value: str) -> Case:
        return Case(When(kind=value, then=F("amount")), default=Value(ZERO), output_field=AMOUNT)

    return (_recorded(SettlementEntry, day).select_related("statement")
            .annotate(settled=kind(SettlementKind.SETTLE), reversed=kind(SettlementKind.REVERSE)))


def outstanding_parcels(day: datetime.date) -> QuerySet[Shipment]:
    """The receivable parcels at the end of `day` (see the module's docstring), each annotated with `paid`
    (payments recorded by then) and `amount` (what it still owed)."""
    _start, end = day_bounds(day)
    parcels = Shipment.objects.filter(cod_due__gt=0, delivered_at__isnull=False).exclude(
        status=ShipmentStatus.CANCELLED)
    if end > timezone.now():  # the day is not over: an order's state at its end is its state now
        parcels = parcels.filter(order__status=Status.DELIVERED)
    else:  # delivered at the day's end: delivered now, or moved on since (a step recorded after the end)
        moved_since = OrderStatusChange.objects.filter(at__gte=end).values("order_id")
        state_then = (OrderStatusChange.objects.filter(order_id=OuterRef("order_id"), at__lt=end)
                      .order_by("-at", "-pk").values("to_status")[:1])
        parcels = (parcels.filter(Q(order__status=Status.DELIVERED) | Q(order_id__in=moved_since))
                   .annotate(state_then=Subquery(state_then)).filter(state_then=Status.DELIVERED))
    paid = (Payment.objects.filter(order_id=OuterRef("order_id"), recorded_at__lt=end).order_by()
            .values("order_id").annotate(paid=Sum("amount")).values("paid"))
    return (parcels.annotate(paid=_money(Subquery(paid, output_field=AMOUNT)))
            .annotate(amount=ExpressionWrapper(F("cod_due") - F("paid"), output_field=AMOUNT))
            .filter(amount__gt=HALF_FEN)
            .select_related("order", "courier").order_by("delivered_at", "pk"))


ROWS: dict[str, Callable[[datetime.date], QuerySet[Any]]] = {
    "orders_taken": _orders_taken,
    "reviewed": lambda day: _steps(day, Status.REVIEWED),
    "shipped": _shipped,
    "delivered": lambda day: _steps(day, Status.DELIVERED),
    "refused": _refused,
    "returned": lambda day: _steps(day, Status.RETURNED),
    "remitted": _remitted,
    "other_payments": lambda day: _recorded(Payment, day).filter(remittance_line__isnull=True),
    "refunds": lambda day: _recorded(Refund, day),
    "settlements": _settlements,
    "outstanding": outstanding_parcels,
}


def figure_rows(day: datetime.date, key: str) -> QuerySet[Any]:
    """The rows behind figure `key` of `day` (KeyError for an unknown key), with the figure's amount fields
    annotated under the figure's names: they add up to the figure."""
    return ROWS[figure_of(key).key](day)


# ---------------------------------------------------------------- the figures

def _add_up(figure: Figure, rows: QuerySet[Any]) -> dict[str, Any]:
    # Aliases apart from the annotations' names: an aggregate named like the annotation it sums shadows it.
    sums = rows.order_by().aggregate(rows_counted=Count("pk"), **{
        f"sum_{name}": Sum(name, output_field=AMOUNT) for name, _label in figure.fields})
    return {"count": sums["rows_counted"],
            **{name: str(yuan(sums[f"sum_{name}"] or ZERO)) for name, _label in figure.fields}}


def _by_courier(day: datetime.date) -> dict[str, dict[str, Any]]:
    grouped = (outstanding_parcels(day).order_by().values("courier_id")
               .annotate(n=Count("pk"), total=Sum("amount", output_field=AMOUNT)))
    codes = dict(Courier.objects.values_list("pk", "code"))
    return {codes[row["courier_id"]]: {"count": row["n"], "amount": str(yuan(row["total"] or ZERO))}
            for row in sorted(grouped, key=lambda row: codes[row["courier_id"]])}


def day_figures(day: datetime.date) -> dict[str, Any]:
    """Every figure of `day`, computed now from the rows: {key: {"count": int, field: "yuan", ...}}, and
    `by_courier` under "outstanding". JSON-ready: this is what a close stores."""
    figures = {figure.key: _add_up(figure, figure_rows(day, figure.key)) for figure in FIGURES}
    figures["outstanding"]["by_courier"] = _by_courier(day)
    return figures


@dataclass(frozen=True)
class DayView:
    """A day's figures as shown: stored (`close` set) or computed live."""

    day: datetime.date
    figures: dict[str, Any]
    close: DailyClose | None

    @property
    def live(self) -> bool:
        return self.close is None

    @property
    def closable(self) -> bool:
        """Not closed yet, and over."""
        return self.close is None and has_ended(self.day)


def day_view(day: datetime.date) -> DayView:
    """A closed day as it was stored; any other day live from the rows."""
    close = DailyClose.objects.select_related("recorded_by").filter(day=day).first()
    return DayView(day, close.figures if close is not None else day_figures(day), close)


@dataclass(frozen=True)
class FigureLine:
    """A figure ready to show: label, count, main amount and the other amounts as (label, amount)."""

    key: str
    label: str | Promise
    count: int
    main_label: str | Promise
    main: Decimal
    others: list[tuple[str | Promise, Decimal]]


def figure_lines(figures: dict[str, Any]) -> list[FigureLine]:
    """The figures in the report's order, amounts as Decimal (a figure missing from an older close shows 0)."""
    lines = []
    for figure in FIGURES:
        values = figures.get(figure.key) or {}
        amounts = [(label, yuan(Decimal(str(values.get(name, "0"))))) for name, label in figure.fields]
        lines.append(FigureLine(figure.key, figure.label, int(values.get("count", 0)), amounts[0][0],
                                amounts[0][1], amounts[1:]))
    return lines


def courier_lines(figures: dict[str, Any]) -> list[tuple[str, int, Decimal]]:
    """Outstanding per courier as (courier name, count, amount), by code."""
    names = dict(Courier.objects.values_list("code", "name"))
    by_courier = (figures.get("outstanding") or {}).get("by_courier") or {}
    return [(names.get(code, code), int(value.get("count", 0)), yuan(Decimal(str(value.get("amount", "0")))))
            for code, value in sorted(by_courier.items())]
