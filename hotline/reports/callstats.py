"""Queue and agent figures aggregated in SQL over the facts, grouped by any fields, with the KPI formulas
of docs/kpi.md applied to the sums. Every report that shows a call-center KPI reads it from here.

`visit_counts(VisitFact queryset, ["queue"])` → {("sales",): VisitCounts}; `handling_counts` likewise
over HandlingFact. Counts and millisecond sums are exact integers, so every KPI is an exact Fraction,
equal to what `hotline.calls.kpi` computes by replaying the log (tests/reports/test_callstats.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Any

from django.db.models import Count, IntegerField, Max, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from hotline.calls.kpi import ServiceLevelVariant

_ANSWERED, _ABANDONED, _CALLBACK = Q(result="answered"), Q(result="abandoned"), Q(result="callback")


def _ms(total: int, count: int) -> Fraction | None:
    """A mean in seconds from a sum of milliseconds."""
    return None if count == 0 else Fraction(total, 1000 * count)


def _share(numerator: int, denominator: int) -> Fraction | None:
    return None if denominator == 0 else Fraction(numerator, denominator)


@dataclass
class VisitCounts:
    """Sums over queue visits (docs/kpi.md "Queue visits"); the KPIs are properties."""

    queued: int = 0
    answered: int = 0
    answered_within: int = 0
    abandoned: int = 0  # after the short-abandon threshold
    short_abandons: int = 0
    abandoned_within: int = 0  # every abandon with wait ≤ T, short ones included (Asterisk SL2)
    callbacks: int = 0
    callbacks_within: int = 0
    transferred: int = 0
    overflow: int = 0
    waiting: int = 0  # no result yet
    answered_wait_ms: int = 0
    abandoned_wait_ms: int = 0  # after the short-abandon threshold
    longest_wait_ms: int | None = None

    def service_level(self, variant: ServiceLevelVariant | str = ServiceLevelVariant.EXCLUDE_SHORT) -> Fraction | None:
        """The share of calls served within T under `variant` (docs/kpi.md)."""
        variant = ServiceLevelVariant(variant)
        if variant == ServiceLevelVariant.ANSWERED:
            return _share(self.answered_within, self.answered)
        if variant == ServiceLevelVariant.ANSWERED_ABANDONED:
            return _share(self.answered_within, self.answered + self.abandoned + self.short_abandons)
        if variant == ServiceLevelVariant.EXCLUDE_SHORT:
            return _share(self.answered_within, self.answered + self.abandoned)
        if variant == ServiceLevelVariant.ASTERISK_SL2:
            return _share(self.answered_within + self.abandoned_within,
                          self.answered + self.abandoned + self.short_abandons)
        return _share(self.answered_within + self.abandoned_within + self.callbacks_within, self.queued)

    @property
    def asa(self) -> Fraction | None:
        return _ms(self.answered_wait_ms, self.answered)

    @property
    def abandon_rate(self) -> Fraction | None:
        return _share(self.abandoned, self.queued - self.short_abandons)

    @property
    def average_abandon_time(self) -> Fraction | None:
        return _ms(self.abandoned_wait_ms, self.abandoned)

    @property
    def longest_wait(self) -> Fraction | None:
        return None if self.longest_wait_ms is None else Fraction(self.longest_wait_ms, 1000)

    def __add__(self, other: VisitCounts) -> VisitCounts:
        total = VisitCounts()
        for field in fields(self):
            a, b = getattr(self, field.name), getattr(other, field.name)
            if field.name == "longest_wait_ms":
                setattr(total, field.name, max((v for v in (a, b) if v is not None), default=None))
            else:
                setattr(total, field.name, a + b)
        return total


@dataclass
class HandlingCounts:
    """Sums over ended agent handlings (docs/kpi.md "Handling")."""

    handled: int = 0
    talk_ms: int = 0
    hold_ms: int = 0
    acw_ms: int = 0

    @property
    def aht(self) -> Fraction | None:
        return _ms(self.talk_ms + self.hold_ms + self.acw_ms, self.handled)

    @property
    def talk(self) -> Fraction | None:
        return _ms(self.talk_ms, self.handled)

    @property
    def hold(self) -> Fraction | None:
        return _ms(self.hold_ms, self.handled)

    @property
    def acw(self) -> Fraction | None:
        return _ms(self.acw_ms, self.handled)

    def __add__(self, other: HandlingCounts) -> HandlingCounts:
        return HandlingCounts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


def _count(condition: Q) -> Count:
    return Count("id", filter=condition)


def _sum(field: str, condition: Q) -> Coalesce:
    return Coalesce(Sum(field, filter=condition), Value(0), output_field=IntegerField())


def _visit_aggregates() -> dict[str, Any]:
    long_abandon = _ABANDONED & Q(short=False)
    return {
        "queued": Count("id"),
        "answered": _count(_ANSWERED),
        "answered_within": _count(_ANSWERED & Q(within=True)),
        "abandoned": _count(long_abandon),
        "short_abandons": _count(_ABANDONED & Q(short=True)),
        "abandoned_within": _count(_ABANDONED & Q(within=True)),
        "callbacks": _count(_CALLBACK),
        "callbacks_within": _count(_CALLBACK & Q(within=True)),
        "transferred": _count(Q(result="transferred")),
        "overflow": _count(Q(result="overflow")),
        "waiting": _count(Q(result="")),
        "answered_wait_ms": _sum("wait_ms", _ANSWERED),
        "abandoned_wait_ms": _sum("wait_ms", long_abandon),
        "longest_wait_ms": Max("wait_ms"),
    }


def visit_counts(visits: QuerySet[Any], group_by: Sequence[str] = ()) -> dict[tuple[Any, ...], VisitCounts]:
    """VisitCounts per distinct value of `group_by` (field names or annotation names on `visits`);
    one entry keyed () when `group_by` is empty."""
    if not group_by:
        return {(): VisitCounts(**visits.order_by().aggregate(**_visit_aggregates()))}
    # Tuples, not dicts: a long series (95,000 groups) spent as long building rows in Python as in SQL.
    rows = _grouped(visits.order_by(), group_by, _visit_aggregates())
    width = len(group_by)
    found = {row[:width]: VisitCounts(*row[width:]) for row in rows}
    return {key: counts for key, counts in found.items() if counts.queued}


def handling_counts(parts: QuerySet[Any], group_by: Sequence[str] = ()) -> dict[tuple[Any, ...], HandlingCounts]:
    """HandlingCounts of the ended handlings per distinct value of `group_by`."""
    ended = parts.filter(ended=True).order_by()
    aggregates = {"handled": Count("id"), "talk_ms": _sum("talk_ms", Q()), "hold_ms": _sum("hold_ms", Q()),
                  "acw_ms": _sum("acw_ms", Q())}
    if not group_by:
        return {(): HandlingCounts(**ended.aggregate(**aggregates))}
    width = len(group_by)
    return {row[:width]: HandlingCounts(*row[width:]) for row in _grouped(ended, group_by, aggregates)}


def _grouped(rows: QuerySet[Any], group_by: Sequence[str], aggregates: dict[str, Any]) -> QuerySet[Any]:
    """(group values..., aggregates...) tuples, the aggregates in the order of `aggregates` (which is the
    order of the counts' fields)."""
    return rows.values(*group_by).annotate(**aggregates).values_list(*group_by, *aggregates)


# The positional construction above relies on the aggregates being in the order of the fields.
assert list(_visit_aggregates()) == [f.name for f in fields(VisitCounts)]
