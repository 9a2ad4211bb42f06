"""Queue and agent figures aggregated in SQL over the facts, grouped by any fields, with the KPI formulas
of docs/kpi.md applied to the sums. Every report that shows a call-center KPI reads it from here.

`visit_counts(VisitFact queryset, ["queue"])` → {("sales",): VisitCounts}; `handling_counts` likewise
over HandlingFact. Counts and millisecond sums are exact integers, so every KPI is an exact Fraction,
equal to what `hotline.calls.kpi` computes by replaying the log (tests/reports/test_callstats.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Any

from django.db import connections
from django.db.models import BigIntegerField, Count, IntegerField, Max, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Coalesce
from django.db.models.sql.constants import MULTI

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
    # bigint, not PostgreSQL's numeric SUM of a bigint column (a Decimal per value to convert back)
    return Coalesce(Cast(Sum(field, filter=condition), BigIntegerField()), Value(0), output_field=IntegerField())


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


def _grouped(rows: QuerySet[Any], group_by: Sequence[str], aggregates: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(group values..., aggregates...) tuples, the aggregates in the order of `aggregates` (which is the
    order of the counts' fields)."""
    grouped = rows.values(*group_by).annotate(**aggregates).values_list(*group_by, *aggregates)
    with _planner_settings(connections[grouped.db]):
        return _tuples(grouped, [*group_by, *aggregates], len(group_by))


def _tuples(grouped: QuerySet[Any], names: list[str], width: int) -> list[tuple[Any, ...]]:
    """The rows of `grouped` with Django's converters applied to the first `width` columns (the groups) only.
    The aggregates are integers from the database already (counts, and sums cast to bigint), and Django's
    per-value conversion of them was most of the Python time of a 100,000-group series."""
    compiler = grouped.query.get_compiler(using=grouped.db)
    compiler.setup_query()
    selected = compiler.select[: compiler.col_count]
    if [alias for _expression, _sql, alias in selected] != names:
        return list(grouped)  # not the layout this relies on: Django's own way
    chunks = compiler.execute_sql(MULTI)
    converters = [(position, convs, expression) for position, (convs, expression)
                  in compiler.get_converters([expression for expression, _sql, _alias in selected]).items()
                  if position < width]
    raw = [row for chunk in chunks for row in chunk]
    if not converters:
        return [tuple(row) for row in raw]
    db = compiler.connection
    found = []
    for row in raw:
        values = list(row)
        for position, convs, expression in converters:
            value = values[position]
            for convert in convs:
                value = convert(value, expression, db)
            values[position] = value
        found.append(tuple(values))
    return found


# PostgreSQL settings for the grouped queries, set around each and restored. PostgreSQL cannot estimate how many
# groups a computed bucket makes (it assumes one per row), so at a million handlings it sorts on disk by the text
# keys instead of hashing the real ~100,000 groups in memory; hashing is 3–5× faster (docs/reports.md, Measured).
PG_SETTINGS = {"work_mem": "64MB", "enable_sort": "off"}


@contextmanager
def _planner_settings(db: Any) -> Iterator[None]:
    if db.vendor != "postgresql" or not PG_SETTINGS:
        yield
        return
    names = list(PG_SETTINGS)
    with db.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["current_setting(%s)"] * len(names)), names)
        before = dict(zip(names, cursor.fetchone(), strict=True))
    _set(db, PG_SETTINGS)
    try:
        yield
    except Exception:
        if not db.in_atomic_block:  # in a transaction the settings roll back with it
            _set(db, before)
        raise
    _set(db, before)


def _set(db: Any, settings: dict[str, str]) -> None:
    with db.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["set_config(%s, %s, false)"] * len(settings)),
                       [part for item in settings.items() for part in item])


# The positional construction above relies on the aggregates being in the order of the fields.
assert list(_visit_aggregates()) == [f.name for f in fields(VisitCounts)]
