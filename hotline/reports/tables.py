"""What a report hands to its screen, its Excel export and its PDF: tables of typed columns and rows,
and charts. One structure for all three, so the file holds exactly the numbers the screen shows.

A cell's value is exact (int, Decimal money, Fraction share or seconds, str); `cell_text` formats it for
people the one way every report uses ("—" for an undefined figure, never 0). A row may carry drill-downs:
`row["_drill"][column key]` is a `Drill` naming the rows behind that figure (hotline/reports/drill.py).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any
from urllib.parse import urlencode

from django.utils import timezone

from hotline.calls.kpi import percent, rounded
from hotline.finance.templatetags.finance_money import money

KINDS = ("text", "int", "money", "percent", "seconds", "ratio", "datetime", "date")


@dataclass(frozen=True)
class Column:
    """One column: `key` in the rows, `label` for people, `kind` (one of KINDS) for formatting and
    for the Excel cell type; `sortable` when the screen may sort by it."""

    key: str
    label: Any
    kind: str = "int"
    sortable: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass(frozen=True)
class Drill:
    """The rows behind one figure: the drill-down registered as `name`, with its parameters (all
    strings, so they survive a URL)."""

    name: str
    params: dict[str, str]

    def url(self) -> str:
        return f"/reports/drill/{self.name}/?{urlencode(sorted(self.params.items()))}"


@dataclass
class ReportTable:
    """A titled table; `totals` is the total row (same keys) or None; `notes` are lines shown under it."""

    title: Any
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, Any] | None = None
    notes: list[Any] = field(default_factory=list)
    key: str = ""  # the table's id on the page (for sorting links and tests)


@dataclass
class Chart:
    """An ECharts chart: `kind` line, bar, stacked_bar or heatmap; `x` the category labels; `series`
    (name, values) pairs; for a heat map, `y` the row labels and `series` one ("", [[x, y, value]…])."""

    title: Any
    kind: str
    x: list[str]
    series: list[tuple[Any, list[Any]]]
    y: list[str] = field(default_factory=list)
    key: str = ""

    def option(self) -> dict[str, Any]:
        """The JSON the page's chart script reads (hotline/reports/static/reports/reports.js)."""
        return {"title": str(self.title), "kind": self.kind, "x": self.x, "y": self.y,
                "series": [{"name": str(name), "data": [_plain(v) for v in values]} for name, values in self.series]}


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Fraction | Decimal):
        return float(value)
    return value


def cell_text(value: Any, kind: str) -> str:
    """A cell as people read it; "—" when the figure is undefined."""
    if value is None:
        return "—"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "money":
        return money(value)  # as the finance screens show it: ¥1,234.56, −¥1,234.56
    if kind == "percent":
        return f"{percent(Fraction(value))}%"
    if kind == "seconds":
        return f"{rounded(Fraction(value), 1)}"
    if kind == "ratio":
        return f"{rounded(Fraction(value), 2)}"
    if kind == "datetime" and isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if kind == "date" and isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def cell_number(value: Any, kind: str) -> Any:
    """A cell as the Excel export writes it: a number where the screen shows one (a share as a
    percentage number rounded as on screen), else the screen's text."""
    if value is None:
        return None
    if kind == "int":
        return int(value)
    if kind == "money":
        return Decimal(value).quantize(Decimal("0.01"))
    if kind == "percent":
        return percent(Fraction(value))
    if kind == "seconds":
        return rounded(Fraction(value), 1)
    if kind == "ratio":
        return rounded(Fraction(value), 2)
    if kind == "datetime" and isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    return value if kind == "date" else str(value)


def comparison_table(title: Any, metrics: list[Column], current: dict[str, Any], previous: dict[str, Any],
                     current_label: str, previous_label: str, key: str = "compare") -> ReportTable:
    """"Compare with the previous period": one row per metric with this period, the previous one and the
    change (a difference for counts, money and times; percentage points for shares)."""
    from django.utils.translation import gettext as _

    rows = []
    for metric in metrics:
        now, before = current.get(metric.key), previous.get(metric.key)
        change = None if now is None or before is None else now - before
        rows.append({"metric": metric.label, "now": cell_text(now, metric.kind),
                     "before": cell_text(before, metric.kind), "change": _signed(change, metric.kind)})
    columns = [Column("metric", _("Figure"), "text", sortable=False), Column("now", current_label, "text", False),
               Column("before", previous_label, "text", False), Column("change", _("Change"), "text", False)]
    return ReportTable(title, columns, rows, key=key)


def _signed(change: Any, kind: str) -> str:
    if change is None:
        return "—"
    text = cell_text(abs(change), kind)
    if kind == "percent":
        text = text.removesuffix("%") + " pp"
    return text if change == 0 else ("+" if change > 0 else "−") + text
