"""The airing funnel (issue 15, report 3): from a TV airing to calls, orders, deliveries and cash.

A *selection* is what one column of the report covers:

- **airings** (`airing=<id>`, one or several): everything attributed to those airings, whenever it came;
- **a time slot** (`slot=HH:MM-HH:MM`, local time, optionally with stations): the airings that *started* in
  the slot on a day of the period, and everything attributed to them;
- **a station** (`station=<id>`, several side by side): the calls that *arrived* and the orders *created* in
  the period that are credited to the station (the airing's station, else the hotline number's), and the
  spot cost of the station's airings that started in the period;
- **the period** (nothing else): every call that arrived and every order created in the period, and the spot
  cost of every airing that started in it.

Every figure is an SQL count or sum over the selection's `CallFact`s, `Order`s, their status history and
finance's settlement and refund rows, and each figure has a drill-down (`funnel_calls`, `funnel_orders`)
built from the very queryset that gave the figure — so the rows behind a figure are exactly its rows.
Definitions: /tmp/helpers/doc-funnel.md (docs/reports.md, "Airing funnel").
"""

from __future__ import annotations

import bisect
import datetime
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from hotline.calls.models import AgentStateEvent, Callback, CallbackStatus, Direction, Outcome
from hotline.finance.models import Refund, SettlementEntry
from hotline.lib.money import CENT, ZERO
from hotline.media.models import Airing, Station
from hotline.orders.models import Order, OrderLine, OrderStatusChange, Status
from hotline.reports.drill import DrillRows, register
from hotline.reports.drills import RowSource, call_link
from hotline.reports.media import delivered_q
from hotline.reports.models import CallFact
from hotline.reports.periods import Period
from hotline.reports.tables import Column, Drill
from hotline.telephony.events import AgentState

# ---------------------------------------------------------------- the call buckets

# (key, label, outcomes): every inbound call lands in exactly one bucket, by its outcome ("" = still open).
CALL_BUCKETS: list[tuple[str, Any, tuple[str, ...]]] = [
    ("blocked", gettext_lazy("Blocked"), (Outcome.REFUSED_503, Outcome.REJECTED)),
    ("left_ivr", gettext_lazy("Left in the IVR"), (Outcome.ABANDONED_IN_IVR,)),
    ("abandoned", gettext_lazy("Abandoned in the queue"), (Outcome.ABANDONED_IN_QUEUE, Outcome.SHORT_ABANDON)),
    ("answered", gettext_lazy("Answered"), (Outcome.ANSWERED,)),
    ("callback", gettext_lazy("Callback captured"), (Outcome.CALLBACK,)),
    ("voicemail", gettext_lazy("Voicemail"), (Outcome.VOICEMAIL,)),
    ("failed", pgettext_lazy("call outcome", "Failed"), (Outcome.FAILED,)),
    ("open", gettext_lazy("Still open"), ("",)),
]
BUCKET_OUTCOMES = {key: outcomes for key, _label, outcomes in CALL_BUCKETS}
MAPPED_OUTCOMES = frozenset(outcome for _k, _l, outcomes in CALL_BUCKETS for outcome in outcomes)
# Figures that are part of a bucket, not buckets themselves (they do not add to "offered").
CALL_SUBFIGURES = {"short": (Outcome.SHORT_ABANDON,)}
UNEXPLAINED_LISTED = 50  # calls listed under "unexplained" at most

# ---------------------------------------------------------------- the order stages

SHIPPED_OR_LATER = (Status.SHIPPED, Status.DELIVERED, Status.SETTLED, Status.REFUSED, Status.RETURNED,
                    Status.EXCHANGED)
DELIVERED_OR_LATER = (Status.DELIVERED, Status.SETTLED)
ORDER_STAGES: list[tuple[str, Any]] = [
    ("taken", gettext_lazy("Orders taken")),
    ("cancelled", gettext_lazy("Cancelled")),
    ("orders", gettext_lazy("Orders")),
    ("shipped", gettext_lazy("Shipped")),
    ("delivered", gettext_lazy("Delivered")),
    ("refused", gettext_lazy("Refused")),
    ("returned", gettext_lazy("Returned")),
    ("kept", gettext_lazy("Delivered, kept")),
    ("settled", gettext_lazy("Settled")),
]
STAGE_KEYS = [key for key, _label in ORDER_STAGES]

MINUTES = 60  # the response curve: the hour after an airing started
_AVAILABLE = (AgentState.READY, AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP)
SLOT = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
MAX_COLUMNS = 8  # selections side by side


def money(value: Any) -> Decimal:
    """A sum from the database as yuan to the fen (SQLite returns floats or drops places; None is ¥0)."""
    return ZERO if value is None else Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def share(part: Fraction | int | Decimal, whole: Fraction | int | Decimal) -> Fraction | None:
    """part ÷ whole exactly (None when whole is 0)."""
    return None if not whole else Fraction(part) / Fraction(whole)


def per(amount: Decimal, count: int) -> Decimal | None:
    """A cost per unit, rounded half up to the fen (None without units)."""
    return None if not count else (amount / count).quantize(CENT, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------- what one column covers


@dataclass(frozen=True)
class Slot:
    """A local time-of-day range [start, end) in minutes after midnight; `end` < `start` wraps midnight."""

    start: int
    end: int
    text: str

    def holds(self, moment: datetime.datetime) -> bool:
        local = timezone.localtime(moment)
        minute = local.hour * 60 + local.minute
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


def parse_slot(text: str) -> Slot:
    """"20:00-22:00" → Slot; ValidationError (translated) for anything else."""
    found = SLOT.match(text.strip())
    start = end = 0
    if found:
        start, end = int(found[1]) * 60 + int(found[2]), int(found[3]) * 60 + int(found[4])
    if not found or end > 24 * 60 or start == end:
        raise ValidationError(_("A time slot looks like 20:00-22:00 (local time, start and end differ): %(value)s")
                              % {"value": text[:40]}, code="bad_slot")
    return Slot(start, end % (24 * 60), text.strip())


@dataclass
class Selection:
    """One column of the funnel: its label, the period, and the airings / stations / slot it covers.
    `by_airing` selections count what is attributed to their airings; the others count by period."""

    label: str
    period: Period
    airing_ids: list[int] | None = None  # by airing: these airings
    station_id: int | None = None
    slot: Slot | None = None
    _airings: list[int] | None = field(default=None, repr=False)

    @property
    def by_airing(self) -> bool:
        return self.airing_ids is not None or self.slot is not None

    def airings(self) -> list[int]:
        """The ids of the airings whose spot cost (and response curve) this column counts."""
        if self._airings is None:
            if self.airing_ids is not None:
                self._airings = list(self.airing_ids)
            else:
                rows = Airing.objects.filter(starts_at__gte=self.period.start, starts_at__lt=self.period.end)
                if self.station_id is not None:
                    rows = rows.filter(station_id=self.station_id)
                pairs = rows.order_by("starts_at", "pk").values_list("pk", "starts_at")
                self._airings = [pk for pk, starts in pairs if self.slot is None or self.slot.holds(starts)]
        return self._airings

    def params(self) -> dict[str, str]:
        """The drill-down parameters that give this selection back."""
        found: dict[str, str] = {}
        if self.airing_ids is not None:
            found["airing"] = ",".join(str(pk) for pk in self.airing_ids)
        else:
            found |= {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()}
            if self.station_id is not None:
                found["station"] = str(self.station_id)
            if self.slot is not None:
                found["slot"] = self.slot.text
        return found

    def calls(self) -> QuerySet[CallFact]:
        """Every call of the selection, both directions (see `offered` and `callback_dials`)."""
        if self.by_airing:
            return CallFact.objects.filter(airing_id__in=self.airings())
        rows = CallFact.objects.filter(arrived_at__gte=self.period.start, arrived_at__lt=self.period.end)
        return rows if self.station_id is None else rows.filter(station_id=self.station_id)

    def offered(self) -> QuerySet[CallFact]:
        """The calls offered: every call that is not an outbound dial."""
        return self.calls().exclude(direction=Direction.OUTBOUND)

    def orders(self) -> QuerySet[Order]:
        if self.by_airing:
            return Order.objects.filter(airing_id__in=self.airings())
        rows = Order.objects.filter(created_at__gte=self.period.start, created_at__lt=self.period.end)
        if self.station_id is None:
            return rows
        return rows.filter(Q(airing__station_id=self.station_id)
                           | Q(airing__isnull=True, hotline_number__station_id=self.station_id))


# ---------------------------------------------------------------- rows behind each figure


def bucket_calls(selection: Selection, bucket: str) -> QuerySet[CallFact]:
    """The calls behind one call figure: a bucket, `offered`, `short`, `reached`, `unexplained`,
    `dials` (outbound callback dials) or `dials_answered`."""
    offered = selection.offered()
    if bucket == "offered":
        return offered
    if bucket in BUCKET_OUTCOMES:
        return offered.filter(outcome__in=BUCKET_OUTCOMES[bucket])
    if bucket in CALL_SUBFIGURES:
        return offered.filter(outcome__in=CALL_SUBFIGURES[bucket])
    if bucket == "reached":
        reached = Callback.objects.filter(pk=OuterRef("callback_id"), status=CallbackStatus.ANSWERED)
        return offered.filter(outcome=Outcome.CALLBACK).filter(Exists(reached))
    if bucket == "unexplained":
        return offered.exclude(outcome__in=MAPPED_OUTCOMES)
    if bucket in ("dials", "dials_answered"):
        captured = bucket_calls(selection, "callback").exclude(callback_id=None).values("callback_id")
        dials = CallFact.objects.filter(direction=Direction.OUTBOUND, callback_id__in=captured)
        return dials if bucket == "dials" else dials.filter(outcome=Outcome.ANSWERED)
    raise ValidationError(_("Unknown call figure: %(value)s") % {"value": bucket[:40]}, code="bad_bucket")


def _reached(statuses: Sequence[str]) -> Q:
    """Orders whose status is, or ever was, one of `statuses` (their status history says so)."""
    steps = OrderStatusChange.objects.filter(order=OuterRef("pk"), to_status__in=statuses)
    return Q(status__in=statuses) | Q(Exists(steps))


def _settled_net() -> Exists:
    """Orders whose settlement entries add up to more than ¥0 (settled, and not reversed)."""
    net = (SettlementEntry.objects.filter(order=OuterRef("pk")).values("order").order_by()
           .annotate(net=Sum("amount")).filter(net__gt=0))
    return Exists(net)


def stage_orders(selection: Selection, stage: str) -> QuerySet[Order]:
    """The orders behind one order figure (see the module docs and doc-funnel.md for each stage)."""
    orders = selection.orders()
    if stage == "taken":
        return orders
    if stage == "cancelled":
        return orders.filter(status=Status.CANCELLED)
    if stage == "orders":
        return orders.exclude(status=Status.CANCELLED)
    if stage == "shipped":
        return orders.filter(_reached(SHIPPED_OR_LATER))
    if stage == "delivered":
        return orders.filter(_reached(DELIVERED_OR_LATER))
    if stage == "refused":
        return orders.filter(_reached([Status.REFUSED])).exclude(_reached(DELIVERED_OR_LATER))
    if stage == "returned":
        return orders.filter(status=Status.RETURNED).filter(_reached(DELIVERED_OR_LATER))
    if stage == "kept":  # delivered and not come back (media's `delivered_q`, one definition for both reports)
        return orders.filter(delivered_q())
    if stage == "settled":
        return orders.filter(_settled_net())
    raise ValidationError(_("Unknown order figure: %(value)s") % {"value": stage[:40]}, code="bad_stage")


# ---------------------------------------------------------------- the figures


@dataclass
class CallFigures:
    offered: int
    buckets: dict[str, int]
    short: int
    reached: int
    dials: int
    dials_answered: int
    unexplained_calls: list[dict[str, Any]]

    @property
    def unexplained(self) -> int:
        """Offered calls that no bucket holds: 0 unless an outcome is not mapped to a bucket."""
        return self.offered - sum(self.buckets.values())


@dataclass
class MoneyFigures:
    ordered: Decimal  # Σ total of the orders not cancelled
    delivered: Decimal  # Σ total of the orders ever delivered
    returned: Decimal  # Σ total of the delivered orders that came back
    kept: Decimal  # Σ total of the orders delivered and not come back (status delivered or settled)
    settled: Decimal  # Σ settlement entries (settle − reverse)
    refunds: Decimal  # Σ refund rows
    spot_cost: Decimal  # Σ Airing.cost of the selection's airings
    goods_cost: Decimal  # Σ quantity × Product.cost over the lines (gifts too) of the settled orders
    per_call: Decimal | None
    per_order: Decimal | None
    per_delivered: Decimal | None
    roi_settled: Fraction | None
    roi_kept: Fraction | None
    roi_margin: Fraction | None


@dataclass
class Funnel:
    """Every figure of one column."""

    selection: Selection
    calls: CallFigures
    orders: dict[str, int]
    money: MoneyFigures
    airings: int


def call_figures(selection: Selection) -> CallFigures:
    offered = selection.offered()
    by_outcome = dict(offered.values("outcome").annotate(n=Count("pk")).order_by().values_list("outcome", "n"))
    buckets = {key: sum(by_outcome.get(outcome, 0) for outcome in outcomes) for key, _l, outcomes in CALL_BUCKETS}
    total = sum(by_outcome.values())
    listed: list[dict[str, Any]] = []
    if total != sum(buckets.values()):
        listed = [dict(row) for row in bucket_calls(selection, "unexplained").order_by("arrived_at", "pk")
                  .values("call_id", "arrived_at", "outcome")[:UNEXPLAINED_LISTED]]
    return CallFigures(offered=total, buckets=buckets, short=by_outcome.get(Outcome.SHORT_ABANDON, 0),
                       reached=bucket_calls(selection, "reached").count(),
                       dials=bucket_calls(selection, "dials").count(),
                       dials_answered=bucket_calls(selection, "dials_answered").count(),
                       unexplained_calls=listed)


def _total(rows: QuerySet[Any], column: str = "total") -> Decimal:
    return money(rows.aggregate(s=Sum(column))["s"])


def money_figures(selection: Selection, offered: int, orders: Mapping[str, int]) -> MoneyFigures:
    orders_qs = selection.orders()
    spot = money(Airing.objects.filter(pk__in=selection.airings()).aggregate(s=Sum("cost"))["s"])
    delivered = _total(stage_orders(selection, "delivered"))
    returned = _total(stage_orders(selection, "returned"))
    kept = _total(stage_orders(selection, "kept"))
    settled = _total(SettlementEntry.objects.filter(order__in=orders_qs.values("pk")), "amount")
    refunds = _total(Refund.objects.filter(order__in=orders_qs.values("pk")), "amount")
    goods = _total(OrderLine.objects.filter(order__in=stage_orders(selection, "settled").values("pk"))
                   .annotate(cost=F("quantity") * F("product__cost")), "cost")

    def roi(revenue: Decimal) -> Fraction | None:
        return share(revenue - spot, spot)

    return MoneyFigures(
        ordered=_total(stage_orders(selection, "orders")), delivered=delivered, returned=returned, kept=kept,
        settled=settled, refunds=refunds, spot_cost=spot, goods_cost=goods,
        per_call=per(spot, offered), per_order=per(spot, orders["orders"]),
        per_delivered=per(spot, orders["kept"]),
        roi_settled=roi(settled), roi_kept=roi(kept), roi_margin=roi(settled - goods))


def funnel(selection: Selection) -> Funnel:
    calls = call_figures(selection)
    orders = {stage: stage_orders(selection, stage).count() for stage in STAGE_KEYS}
    return Funnel(selection, calls, orders, money_figures(selection, calls.offered, orders),
                  airings=len(selection.airings()))


# ---------------------------------------------------------------- the response curve


@dataclass
class Curve:
    """Per minute after the airings started (0..59): calls of the airings (summed over them, and their
    mean per airing), and agents available (the mean over the airings of the agents in ready, ringing,
    on-call or wrap-up state during that minute, time-weighted)."""

    airings: int
    calls: list[int]
    agents: list[Fraction | None]

    @property
    def mean_calls(self) -> list[Fraction | None]:
        return [share(n, self.airings) for n in self.calls]


def response_curve(selection: Selection) -> Curve:
    starts = dict(Airing.objects.filter(pk__in=selection.airings()).values_list("pk", "starts_at"))
    calls = [0] * MINUTES
    rows = (CallFact.objects.filter(airing_id__in=list(starts)).exclude(direction=Direction.OUTBOUND)
            .filter(arrived_at__gte=F("airing__starts_at"),
                    arrived_at__lt=F("airing__starts_at") + datetime.timedelta(minutes=MINUTES))
            .values_list("airing_id", "arrived_at"))
    for airing_id, arrived in rows:
        minute = int((arrived - starts[airing_id]).total_seconds() // 60)
        if 0 <= minute < MINUTES:
            calls[minute] += 1
    agents = _agents_available(sorted(starts.values()))
    return Curve(len(starts), calls, agents)


def _agents_available(starts: Sequence[datetime.datetime]) -> list[Fraction | None]:
    if not starts:
        return [None] * MINUTES
    # One read from the first start to the last hour's end, and each agent's last change before the first
    # start. Reading the state before every airing separately costs a scan of the log each (no index on `at`
    # alone): 300 airings of a month took 49 s that way, against ~2 s for one read of the month's 112,000
    # changes on SQLite (most of it converting the times); one airing reads one hour.
    first, last = starts[0], starts[-1] + datetime.timedelta(minutes=MINUTES)
    before = (AgentStateEvent.objects.filter(at__lt=first).values("agent_key").order_by()
              .annotate(last=Max("id")).values("last"))
    within = AgentStateEvent.objects.filter(at__gte=first, at__lt=last)
    timelines: dict[str, tuple[list[int], list[bool]]] = defaultdict(lambda: ([], []))
    for rows in (AgentStateEvent.objects.filter(id__in=before), within):  # each in time order, the first earlier
        for agent, at, state in _raw(rows.order_by("at", "id").values_list("agent_key", "at", "state")):
            times, available = timelines[agent]
            times.append(_micros(at))
            available.append(state in _AVAILABLE)
    micros = [0] * MINUTES  # agent-microseconds available per minute, summed over the airings
    for start in starts:
        origin = _micros(start)
        for times, available in timelines.values():
            _add_available(micros, times, available, origin)
    return [Fraction(value, 60_000_000 * len(starts)) for value in micros]


_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
_MINUTE = 60_000_000


def _raw(rows: QuerySet[Any]) -> Iterable[tuple[Any, ...]]:
    """The rows as the database driver returns them, without Django's per-value converters: SQLite's
    times come back as UTC text (`_micros` reads them), which is most of the cost of a month's read."""
    sql, params = rows.query.sql_with_params()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        yield from cursor


def _micros(moment: datetime.datetime | str) -> int:
    if isinstance(moment, str):  # SQLite stores aware times as UTC text
        moment = datetime.datetime.fromisoformat(moment).replace(tzinfo=datetime.UTC)
    elif timezone.is_naive(moment):
        moment = moment.replace(tzinfo=datetime.UTC)
    return (moment - _EPOCH) // datetime.timedelta(microseconds=1)


def _add_available(micros: list[int], times: list[int], available: list[bool], origin: int) -> None:
    """Add one agent's available time in the hour after `origin` to each minute (all in microseconds)."""
    end = origin + MINUTES * _MINUTE
    position = max(bisect.bisect_right(times, origin) - 1, 0)
    while position < len(times) and times[position] < end:
        until = times[position + 1] if position + 1 < len(times) else end
        if available[position]:
            a, b = max(times[position], origin) - origin, min(until, end) - origin
            while a < b:  # spread [a, b) over the minutes it overlaps
                minute = a // _MINUTE
                edge = min(b, (minute + 1) * _MINUTE)
                micros[minute] += edge - a
                a = edge
        position += 1


def lines_available() -> int | None:
    """The licensed lines (settings.HOTLINE_LINES); None when unlimited (0)."""
    return int(settings.HOTLINE_LINES) or None


# ---------------------------------------------------------------- reading the request


def _ids(values: Iterable[str], model: type[Airing] | type[Station], what: str) -> list[int]:
    found: list[int] = []
    for value in values:
        for part in str(value).split(","):
            text = part.strip()
            if not text.isdigit() or not model.objects.filter(pk=int(text)).exists():
                raise ValidationError(_("Unknown %(what)s: %(value)s") % {"what": what, "value": text[:40]},
                                      code="unknown")
            if int(text) not in found:
                found.append(int(text))
    return found


def selections(params: Any, period: Period) -> list[Selection]:
    """The columns the request asks for: `airing` (ids), or `station` (ids) and/or `slot`; the whole
    period when none. ValidationError (translated) for unknown ids, a bad slot, or airings mixed with
    stations or a slot."""
    airing_values = params.getlist("airing") if hasattr(params, "getlist") else [params.get("airing", "")]
    station_values = params.getlist("station") if hasattr(params, "getlist") else [params.get("station", "")]
    airing_values = [v for v in airing_values if v]
    station_values = [v for v in station_values if v]
    slot_text = str(params.get("slot") or "")
    slot = parse_slot(slot_text) if slot_text else None
    if airing_values and (station_values or slot):
        raise ValidationError(_("Pick airings, or stations and a time slot, not both."), code="mixed")
    if airing_values:
        ids = _ids(airing_values, Airing, _("airing"))
        airings = Airing.objects.select_related("station").in_bulk(ids)
        found = [Selection(str(airings[pk]), period, airing_ids=[pk]) for pk in ids]
    elif station_values:
        ids = _ids(station_values, Station, _("station"))
        stations = Station.objects.in_bulk(ids)
        suffix = f" {slot.text}" if slot else ""
        found = [Selection(f"{stations[pk]}{suffix}", period, station_id=pk, slot=slot) for pk in ids]
    elif slot is not None:
        found = [Selection(_("Airings starting %(slot)s") % {"slot": slot.text}, period, slot=slot)]
    else:
        found = [Selection(_("All calls and orders of the period"), period)]
    if len(found) > MAX_COLUMNS:
        raise ValidationError(_("Compare at most %(n)d side by side.") % {"n": MAX_COLUMNS}, code="too_many")
    return found


def selection_from_drill(params: Mapping[str, str]) -> Selection:
    """The selection a drill-down's parameters name (as `Selection.params` wrote them)."""
    if params.get("airing"):
        ids = _ids([params["airing"]], Airing, _("airing"))
        dummy = Period(timezone.now(), timezone.now())
        return Selection("", dummy, airing_ids=ids)
    try:
        start = datetime.datetime.fromisoformat(params.get("start", ""))
        end = datetime.datetime.fromisoformat(params.get("end", ""))
    except ValueError:
        raise ValidationError(_("The drill-down needs an airing, or a start and an end."), code="bad_drill") from None
    if timezone.is_naive(start) or timezone.is_naive(end) or end <= start:
        raise ValidationError(_("The drill-down needs an airing, or a start and an end."), code="bad_drill")
    station = _ids([params["station"]], Station, _("station"))[0] if params.get("station") else None
    slot = parse_slot(params["slot"]) if params.get("slot") else None
    return Selection("", Period(start, end), station_id=station, slot=slot)


def airing_choices(period: Period, chosen: Sequence[int] = (), limit: int = 500) -> list[dict[str, Any]]:
    """The airing picker: the period's airings (and the chosen ones), as station, start and product."""
    rows = Airing.objects.filter(Q(starts_at__gte=period.start, starts_at__lt=period.end) | Q(pk__in=list(chosen)))
    found = []
    for airing in rows.select_related("station", "product").order_by("starts_at", "pk")[:limit]:
        product = airing.product.name if airing.product else ""
        start = timezone.localtime(airing.starts_at).strftime("%Y-%m-%d %H:%M")
        found.append({"id": airing.pk, "label": f"{airing.station} · {start} · {product}".rstrip(" ·"),
                      "selected": airing.pk in chosen})
    return found


# ---------------------------------------------------------------- drill-downs


def drill(kind: str, selection: Selection, figure: str) -> Drill:
    """The drill-down link of one figure of a column."""
    return Drill(f"funnel_{kind}", {**selection.params(), "figure": figure})


def _call_rows(rows: QuerySet[CallFact]) -> DrillRows:
    rows = rows.select_related("airing__station", "station").order_by("arrived_at", "pk")
    outcomes = {str(value): str(label) for value, label in Outcome.choices}
    directions = {str(value): str(label) for value, label in Direction.choices}

    def convert(fact: CallFact) -> dict[str, Any]:
        return {"call_id": fact.call_id, "arrived_at": fact.arrived_at,
                "direction": directions.get(fact.direction, fact.direction),
                "outcome": outcomes.get(fact.outcome, fact.outcome or _("open")),
                "airing": str(fact.airing) if fact.airing else "", "station": fact.station.name if fact.station else "",
                "queue": fact.queue, "agent": fact.agent_key, "_link": {"call_id": call_link(fact.call_id)}}

    columns = [Column("call_id", _("Call"), "text"), Column("arrived_at", _("Arrived at"), "datetime"),
               Column("direction", _("Direction"), "text"), Column("outcome", _("Outcome"), "text"),
               Column("airing", _("Airing"), "text"), Column("station", _("Station"), "text"),
               Column("queue", _("Queue"), "text"), Column("agent", _("Agent"), "text")]
    return DrillRows(_("Calls"), columns, RowSource(rows, convert), rows.count())


@register("funnel_calls")
def drill_calls(params: dict[str, str]) -> DrillRows:
    """The calls behind a call figure of the funnel (`figure`: a bucket key, offered, short, reached,
    unexplained, dials or dials_answered)."""
    _known(params)
    return _call_rows(bucket_calls(selection_from_drill(params), params.get("figure") or "offered"))


@register("funnel_orders")
def drill_orders(params: dict[str, str]) -> DrillRows:
    """The orders behind an order or money figure of the funnel (`figure`: a stage key)."""
    _known(params)
    rows = stage_orders(selection_from_drill(params), params.get("figure") or "taken")
    rows = rows.select_related("airing__station").order_by("created_at", "pk")
    statuses = {str(value): str(label) for value, label in Status.choices}

    def convert(order: Order) -> dict[str, Any]:
        link = reverse("admin:orders_order_change", args=[order.pk])
        return {"number": order.number, "created_at": order.created_at,
                "status": statuses.get(order.status, order.status), "total": order.total,
                "airing": str(order.airing) if order.airing else "", "call_id": order.call_id,
                "_link": {"number": link, **({"call_id": call_link(order.call_id)} if order.call_id else {})}}

    columns = [Column("number", _("Order"), "text"), Column("created_at", _("Created at"), "datetime"),
               Column("status", _("Status"), "text"), Column("total", _("Total"), "money"),
               Column("airing", _("Airing"), "text"), Column("call_id", _("Call"), "text")]
    return DrillRows(_("Orders"), columns, RowSource(rows, convert), rows.count())


DRILL_KEYS = {"airing", "start", "end", "station", "slot", "figure"}


def _known(params: Mapping[str, str]) -> None:
    for key in params:
        if key not in DRILL_KEYS:
            raise ValidationError(_("Unknown filter: %(name)s") % {"name": key[:40]}, code="unknown_filter")
