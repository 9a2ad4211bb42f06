"""Agent performance (业绩考核): per agent, for a period, the calls they handled and the time it took, their
occupancy and not-ready time, the orders they took and what became of them, the callbacks they completed
and the complaints about their orders. Every figure is an SQL aggregate over the report facts, the agent
state log and the orders; the definitions are in docs/reports.md ("Agent performance").

`agent_figures(period, now=...)` → {agent key: AgentFigures}; `AgentFigures` sums add up (`+`) so the
team's total is the sum of its agents, and the rates are properties computed from the sums (exact
Fractions; money Decimal to the fen).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.db.models import Count, DecimalField, Exists, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from hotline.calls.kpi import AgentTime, agent_times, state_changes_for
from hotline.calls.models import Direction, Outcome
from hotline.orders.models import Order, OrderLine, Status
from hotline.reports.callstats import HandlingCounts, handling_counts
from hotline.reports.funnel import SHIPPED_OR_LATER
from hotline.reports.media import delivered_q
from hotline.reports.models import CallFact, HandlingFact
from hotline.service.models import Complaint
from hotline.telephony.events import AgentState

FEN = Decimal("0.01")
NOT_READY_PREFIX = f"{AgentState.NOT_READY}/"

# Order stages as the airing funnel and media planning define them (one definition, docs/reports.md): an
# order was shipped when its status is shipped or anything only a shipped order becomes (funnel's
# SHIPPED_OR_LATER); it is delivered, net of refusals and returns, when media's `delivered_q` holds
# (delivered or settled: it reached the customer and has not come back).


def _share(numerator: int, denominator: int) -> Fraction | None:
    return None if denominator == 0 else Fraction(numerator, denominator)


def _seconds(milliseconds: int) -> Fraction:
    return Fraction(milliseconds, 1000)


@dataclass
class AgentFigures:
    """One agent's sums for a period (or a team's, added up); the rates are properties."""

    handling: HandlingCounts = field(default_factory=HandlingCounts)
    outbound: int = 0  # outbound calls the customer answered
    converted: int = 0  # handled calls with an order this agent took on that call
    orders: int = 0
    revenue: Decimal = Decimal("0.00")
    cross_sell_orders: int = 0
    shipped: int = 0
    delivered: int = 0
    callbacks_completed: int = 0
    complaints: int = 0
    # seconds per agent state in the period; not-ready split by reason as "not_ready/<reason>"
    seconds: dict[str, Fraction] = field(default_factory=dict)

    def __add__(self, other: AgentFigures) -> AgentFigures:
        total = AgentFigures()
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            if item.name == "seconds":
                merged = dict(mine)
                for state, value in theirs.items():
                    merged[state] = merged.get(state, Fraction(0)) + value
                setattr(total, item.name, merged)
            else:
                setattr(total, item.name, mine + theirs)
        return total

    @property
    def active(self) -> bool:
        """Whether the agent did anything in the period (the team's average counts only these)."""
        return bool(self.handling.handled or self.outbound or self.orders or self.callbacks_completed
                    or self.complaints or self.time.staffed)

    @property
    def time(self) -> AgentTime:
        return AgentTime("", self.seconds)

    @property
    def handled(self) -> int:
        return self.handling.handled

    @property
    def staffed(self) -> Fraction:
        return self.time.staffed

    @property
    def occupancy(self) -> Fraction | None:
        return self.time.occupancy

    @property
    def not_ready(self) -> Fraction:
        return sum((v for k, v in self.seconds.items() if k.startswith(NOT_READY_PREFIX)), Fraction(0))

    def not_ready_by_reason(self) -> dict[str, Fraction]:
        return {k.removeprefix(NOT_READY_PREFIX): v for k, v in sorted(self.seconds.items())
                if k.startswith(NOT_READY_PREFIX) and v}

    @property
    def conversion(self) -> Fraction | None:
        return _share(self.converted, self.handling.handled)

    @property
    def average_order_value(self) -> Decimal | None:
        if not self.orders:
            return None
        return (self.revenue / self.orders).quantize(FEN, rounding=ROUND_HALF_UP)

    @property
    def cross_sell_rate(self) -> Fraction | None:
        return _share(self.cross_sell_orders, self.orders)

    @property
    def delivered_rate(self) -> Fraction | None:
        return _share(self.delivered, self.shipped)


# ---------------------------------------------------------------- the rows behind each figure

def handlings_in(start: datetime.datetime, end: datetime.datetime) -> QuerySet[HandlingFact]:
    """Handlings answered in [start, end) (inbound answers and outbound calls the customer picked up)."""
    return HandlingFact.objects.filter(answered_at__gte=start, answered_at__lt=end)


def outbound_calls_in(start: datetime.datetime, end: datetime.datetime) -> QuerySet[CallFact]:
    """Outbound calls placed in [start, end) that the customer answered (their agent is known)."""
    return CallFact.objects.filter(direction=Direction.OUTBOUND, arrived_at__gte=start, arrived_at__lt=end) \
        .exclude(agent_key="")


def completed_callbacks_in(start: datetime.datetime, end: datetime.datetime) -> QuerySet[CallFact]:
    """Outbound calls placed in [start, end) that worked a callback and reached the customer."""
    return outbound_calls_in(start, end).filter(callback_id__isnull=False, outcome=Outcome.ANSWERED)


def orders_taken_in(start: datetime.datetime, end: datetime.datetime) -> QuerySet[Order]:
    """Orders an agent took in [start, end): not cancelled, not an exchange's replacement (no new sale)."""
    return Order.objects.filter(created_at__gte=start, created_at__lt=end, agent__isnull=False,
                                replaces__isnull=True).exclude(status=Status.CANCELLED)


def complaints_in(start: datetime.datetime, end: datetime.datetime) -> QuerySet[Complaint]:
    """Complaints opened in [start, end) about an order an agent took."""
    return Complaint.objects.filter(created_at__gte=start, created_at__lt=end, order__agent__isnull=False)


# ---------------------------------------------------------------- per agent

def _handling(start: datetime.datetime, end: datetime.datetime) -> dict[str, HandlingCounts]:
    return {key[0]: counts for key, counts in handling_counts(handlings_in(start, end), ["agent_key"]).items()}


def _converted(start: datetime.datetime, end: datetime.datetime) -> dict[str, int]:
    """Ended handlings of the period whose call has an order (not cancelled, not a replacement) this agent
    took, counted once per call."""
    taken = Order.objects.filter(call_id=OuterRef("call_id"), agent__username=OuterRef("agent_key"),
                                 replaces__isnull=True).exclude(status=Status.CANCELLED)
    rows = handlings_in(start, end).filter(ended=True).filter(Exists(taken)).order_by() \
        .values("agent_key").annotate(n=Count("call_id", distinct=True))
    return {row["agent_key"]: row["n"] for row in rows}


def _counts(queryset: QuerySet[Any], key: str, distinct: str = "id") -> dict[str, int]:
    rows = queryset.order_by().values(key).annotate(n=Count(distinct, distinct=distinct != "id"))
    return {row[key]: row["n"] for row in rows}


def _orders(start: datetime.datetime, end: datetime.datetime) -> dict[str, dict[str, Any]]:
    cross = OrderLine.objects.filter(order=OuterRef("pk"), is_cross_sell=True)
    rows = orders_taken_in(start, end).order_by().values("agent__username").annotate(
        orders=Count("id"),
        revenue=Coalesce(Sum("total"), Value(Decimal("0.00")), output_field=DecimalField(max_digits=14,
                                                                                          decimal_places=2)),
        cross_sell_orders=Count("id", filter=Q(Exists(cross))),
        shipped=Count("id", filter=Q(status__in=SHIPPED_OR_LATER)),
        delivered=Count("id", filter=delivered_q()))
    return {row.pop("agent__username"): row for row in rows}


def state_seconds(start: datetime.datetime, end: datetime.datetime) -> dict[str, dict[str, Fraction]]:
    """Seconds per agent per state in [start, end), as `hotline.calls.kpi.agent_times_for` computes them
    (the state at `start` is the last change before it), with not-ready split by reason."""
    rows = state_changes_for(start, end).values_list("agent_key", "at", "state", "reason")
    changes = [(agent, at, f"{state}/{reason}" if state == AgentState.NOT_READY else state)
               for agent, at, state, reason in rows]
    return {agent: time.seconds for agent, time in agent_times(changes, start, end).items()}


def agent_figures(start: datetime.datetime, end: datetime.datetime,
                  now: datetime.datetime | None = None) -> dict[str, AgentFigures]:
    """Every agent's figures for [start, end), keyed by agent id (the user name). Time in states counts
    up to `now` at most (a period running today is not staffed in the future)."""
    found: dict[str, AgentFigures] = {}

    def row(agent: str) -> AgentFigures:
        return found.setdefault(agent, AgentFigures())

    for agent, counts in _handling(start, end).items():
        row(agent).handling = counts
    for agent, n in _counts(outbound_calls_in(start, end), "agent_key").items():
        row(agent).outbound = n
    for agent, n in _converted(start, end).items():
        row(agent).converted = n
    for agent, values in _orders(start, end).items():
        figures = row(agent)
        for name, value in values.items():
            setattr(figures, name, value)
    for agent, n in _counts(completed_callbacks_in(start, end), "agent_key", "callback_id").items():
        row(agent).callbacks_completed = n
    for agent, n in _counts(complaints_in(start, end), "order__agent__username").items():
        row(agent).complaints = n
    until = min(end, now or timezone.now())
    if until > start:
        for agent, seconds in state_seconds(start, until).items():
            row(agent).seconds = seconds
    return found


def team_total(figures: Iterable[AgentFigures]) -> AgentFigures:
    return sum(figures, AgentFigures())


# ---------------------------------------------------------------- the report's tables

def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def _mean(value: Any, n: int) -> Any:
    """A per-agent mean of a count, seconds or money."""
    if n == 0:
        return None
    if isinstance(value, Decimal):
        return _money(value / n)
    return Fraction(value) / n


def figure_values(figures: AgentFigures) -> dict[str, Any]:
    """The cells of one agent (or of the team) by column key; shares and seconds exact, money to the fen."""
    counts = figures.handling
    return {
        "handled": counts.handled, "outbound": figures.outbound,
        "talk_total": _seconds(counts.talk_ms), "talk": counts.talk,
        "hold_total": _seconds(counts.hold_ms), "hold": counts.hold,
        "acw_total": _seconds(counts.acw_ms), "acw": counts.acw, "aht": counts.aht,
        "staffed": figures.staffed, "not_ready": figures.not_ready, "occupancy": figures.occupancy,
        "orders": figures.orders, "converted": figures.converted, "conversion": figures.conversion,
        "revenue": _money(figures.revenue), "aov": figures.average_order_value,
        "cross_sell": figures.cross_sell_rate, "shipped": figures.shipped, "delivered": figures.delivered,
        "delivered_rate": figures.delivered_rate, "callbacks": figures.callbacks_completed,
        "complaints": figures.complaints,
    }


# Sums, whose per-agent mean the team's average row shows; every other figure is a rate, shown there as the
# team's own rate (from the team's sums), which is what an agent's rate is compared with.
SUMMED = ("handled", "outbound", "talk_total", "hold_total", "acw_total", "staffed", "not_ready", "orders",
          "converted", "revenue", "shipped", "delivered", "callbacks", "complaints")


def average_values(team: AgentFigures, active: int) -> dict[str, Any]:
    """The team's average row: sums divided by the number of agents with any activity, rates as the team's."""
    values = figure_values(team)
    return {key: (_mean(value, active) if key in SUMMED else value) for key, value in values.items()}
