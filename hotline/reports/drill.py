"""Drill-downs: from a figure to exactly the rows that make it.

Each report module registers the drill-downs its figures link to: a name, and a function that takes the
drill's parameters (strings from the URL) and returns a `DrillRows` — the rows' title, columns, and a
queryset or list of dicts. The drill view (`/reports/drill/<name>/`) checks the user may see reports,
calls the function, and shows (or exports) the rows. A function raises ValidationError (translated) for
parameters it does not understand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from hotline.reports.tables import Column

_REGISTRY: dict[str, Callable[[dict[str, str]], DrillRows]] = {}


@dataclass
class DrillRows:
    """The rows behind a figure: `rows` are dicts keyed by the columns' keys (a queryset's `.values()`
    is fine); `count` is how many there are (the view shows the first pages)."""

    title: Any
    columns: list[Column]
    rows: Iterable[dict[str, Any]]
    count: int


def register(name: str) -> Callable[[Callable[[dict[str, str]], DrillRows]], Callable[[dict[str, str]], DrillRows]]:
    """Decorator: make `function` the drill-down called `name`."""
    def add(function: Callable[[dict[str, str]], DrillRows]) -> Callable[[dict[str, str]], DrillRows]:
        if name in _REGISTRY and _REGISTRY[name] is not function:
            raise ValueError(f"drill-down {name!r} is registered twice")
        _REGISTRY[name] = function
        return function
    return add


def find(name: str) -> Callable[[dict[str, str]], DrillRows] | None:
    return _REGISTRY.get(name)


def names() -> list[str]:
    return sorted(_REGISTRY)
