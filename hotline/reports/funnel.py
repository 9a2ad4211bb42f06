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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import accumulate, pairwise
from operator import mul, sub
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import BigIntegerField, Count, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet, Sum, Value
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
from hotline.reports.lines import EPOCH, EpochMicros, epoch_micros_sql, micros
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
_AVAILABLE_TEXT = [state.value for state in _AVAILABLE]  # as SQL parameters: plain text, not enum members
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
    """The curve of the selection's airings: calls per minute counted by the database (minute = whole
    minutes from the airing's start to the call's arrival, in integer microseconds — one row a minute, not
    one a call), then the agents available."""
    starts = dict(Airing.objects.filter(pk__in=selection.airings()).values_list("pk", "starts_at"))
    calls = [0] * MINUTES
    since = ExpressionWrapper(EpochMicros("arrived_at") - EpochMicros("airing__starts_at"),
                              output_field=BigIntegerField())
    rows = (CallFact.objects.filter(airing_id__in=list(starts)).exclude(direction=Direction.OUTBOUND)
            .filter(arrived_at__gte=F("airing__starts_at"),
                    arrived_at__lt=F("airing__starts_at") + datetime.timedelta(minutes=MINUTES))
            .annotate(minute=ExpressionWrapper(since / Value(_MINUTE), output_field=BigIntegerField()))
            .values("minute").annotate(n=Count("id")).order_by().values_list("minute", "n"))
    for minute, n in rows:
        if 0 <= minute < MINUTES:
            calls[minute] += n
    agents = _agents_available(sorted(starts.values()))
    return Curve(len(starts), calls, agents)


def _agents_available(starts: Sequence[datetime.datetime]) -> list[Fraction | None]:
    """The agents available in each minute of the hour after each start, time-weighted, averaged over the
    starts. All agents together are one step function — how many are available at each moment — built
    from each agent's last state before the first start and the changes from then to the last hour's end
    (`_available_steps`); its running integral then gives each minute of each airing by two bisections,
    so 300 airings cost 300 × 61 look-ups, not a sweep per airing and agent."""
    if not starts:
        return [None] * MINUTES
    first, last = micros(starts[0]), micros(starts[-1]) + MINUTES * _MINUTE
    times, levels = _available_steps(starts[0], first, last)
    spans = list(map(sub, times[1:], times))
    integral = [0, *accumulate(map(mul, levels, spans))]  # agent-µs available from `first` to each change

    def upto(moment: int) -> int:  # agent-µs available from `first` to `moment` (≥ first)
        k = bisect.bisect_right(times, moment) - 1
        return integral[k] + levels[k] * (moment - times[k])

    edges = [0] * (MINUTES + 1)  # Σ over the airings of upto(start + m minutes)
    for start in starts:
        origin = micros(start)
        for minute in range(MINUTES + 1):
            edges[minute] += upto(origin + minute * _MINUTE)
    return [Fraction(b - a, _MINUTE * len(starts)) for a, b in pairwise(edges)]


def _available_steps(since: datetime.datetime, first: int, last: int) -> tuple[list[int], list[int]]:
    """How many agents are available (ready, ringing, on a call or in wrap-up) from `first` (µs, = `since`)
    to `last`: the times the number changes (the first is `first` itself) and the number from each.

    Most changes keep an agent available (ready → ringing → on a call → wrap-up → ready): only a change to
    another state (not ready, logged out, …) and the first available change after it move the number, ~3 %
    of the rows. So instead of reading every change of the month, two queries read the agents' changes to
    an unavailable state with the next available change of each (`_unavailable_spells`) and each agent's
    state before `since` with its first available change from then (`_agent_starts`)."""
    available: dict[str, bool] = {}
    events: set[tuple[int, int, str, bool]] = set()  # (µs, id, agent, available), replayed in (at, id) order
    for agent, state, moment, pk in _agent_starts(since, last):
        available[agent] = state in _AVAILABLE
        if pk is not None and moment is not None:
            events.add((moment, pk, agent, True))
    for agent, moment, pk, next_moment, next_pk in _unavailable_spells(since, last):
        events.add((moment, pk, agent, False))
        if next_pk is not None and next_moment is not None:
            events.add((next_moment, next_pk, agent, True))
    times, levels = [first], [sum(available.values())]
    for moment, _pk, agent, now in sorted(events):
        if now != available.get(agent, False):
            available[agent] = now
            level = levels[-1] + (1 if now else -1)
            if moment == times[-1]:  # changes at one instant: the level after the last of them
                levels[-1] = level
            else:
                times.append(moment)
                levels.append(level)
    return times, levels


def _sql_parts() -> tuple[Any, str, str, str]:
    """The connection, the table, the "available" states as placeholders, and the µs of `n.at` as SQL."""
    connection = connections[AgentStateEvent.objects.db]
    table = connection.ops.quote_name(AgentStateEvent._meta.db_table)
    return connection, table, ", ".join(["%s"] * len(_AVAILABLE)), epoch_micros_sql("n.at", connection.vendor)


def _at(moment: datetime.datetime, connection: Any) -> Any:
    return AgentStateEvent._meta.get_field("at").get_db_prep_value(moment, connection)


def _agent_starts(since: datetime.datetime, last: int) -> list[tuple[str, str | None, int | None, int | None]]:
    """Per agent: its state just before `since` (its last change earlier than it, by time then id; None
    when it had none), and its first change to an available state in [since, last) (µs and id, or None).
    The agents come from a loose scan of the (agent_key, at) index — the next key after each, one index
    probe per agent — and each one's changes from the same index, so the cost grows with the agents, not
    with the years of changes before `since` (a GROUP BY over them read every one)."""
    connection, table, states, micros_n = _sql_parts()
    sql = (f"WITH RECURSIVE agents(agent_key) AS ("
           f" SELECT MIN(agent_key) FROM {table}"
           f" UNION ALL SELECT (SELECT e.agent_key FROM {table} e WHERE e.agent_key > agents.agent_key"
           f" ORDER BY e.agent_key LIMIT 1) FROM agents WHERE agents.agent_key IS NOT NULL),"
           f" starts AS (SELECT agents.agent_key AS agent_key,"
           f" (SELECT e.state FROM {table} e WHERE e.agent_key = agents.agent_key AND e.at < %s"
           f" ORDER BY e.at DESC, e.id DESC LIMIT 1) AS state,"
           f" (SELECT e.id FROM {table} e WHERE e.agent_key = agents.agent_key AND e.at >= %s AND e.at < %s"
           f" AND e.state IN ({states}) ORDER BY e.at, e.id LIMIT 1) AS next_id"
           f" FROM agents WHERE agents.agent_key IS NOT NULL)"
           f" SELECT starts.agent_key, starts.state, {micros_n}, n.id"
           f" FROM starts LEFT JOIN {table} n ON n.id = starts.next_id")
    at, until = _at(since, connection), _at(_from_micros(last), connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [at, at, until, *_AVAILABLE_TEXT])
        return cursor.fetchall()


def _unavailable_spells(since: datetime.datetime, last: int) -> list[tuple[str, int, int, int | None, int | None]]:
    """Each change in [since, last) to a state that is not available — agent, µs, id — with the agent's
    next change to an available state before `last` (µs and id, or None): the (agent_key, at) index finds
    it in a step or two."""
    connection, table, states, micros_n = _sql_parts()
    micros_u = epoch_micros_sql("u.at", connection.vendor)
    sql = (f"SELECT spells.agent_key, spells.moment, spells.id, {micros_n}, n.id FROM ("
           f" SELECT u.agent_key AS agent_key, {micros_u} AS moment, u.id AS id,"
           f" (SELECT e.id FROM {table} e WHERE e.agent_key = u.agent_key AND e.at >= u.at AND e.at < %s"
           f" AND (e.at > u.at OR e.id > u.id) AND e.state IN ({states}) ORDER BY e.at, e.id LIMIT 1) AS next_id"
           f" FROM {table} u WHERE u.at >= %s AND u.at < %s AND u.state NOT IN ({states})) spells"
           f" LEFT JOIN {table} n ON n.id = spells.next_id")
    at, until = _at(since, connection), _at(_from_micros(last), connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [until, *_AVAILABLE_TEXT, at, until, *_AVAILABLE_TEXT])
        return cursor.fetchall()


_MINUTE = 60_000_000


def _from_micros(value: int) -> datetime.datetime:
    return EPOCH + datetime.timedelta(microseconds=value)


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
