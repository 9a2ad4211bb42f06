"""Custom reports (自定义报表): a definition — a source, up to three dimensions, measures and filters, all
keys of the documented catalogue (hotline/reports/catalogue.py) — checked by `validate` and computed by
`run` over a period into a ReportTable (and `chart_of` its chart).

A definition is plain JSON, as SavedReport.definition stores it:
    {"source": "calls", "dimensions": ["day", "station"], "measures": ["calls", "answered"],
     "filters": {"station": ["3"], "outcome": ["answered", "callback"]}, "period": {"period": "yesterday"}}
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.orders.models import OrderLine
from hotline.reports.catalogue import (
    MAX_DIMENSIONS,
    SOURCES,
    Dimension,
    Source,
    compute,
    filter_model,
    local_date,
    order_station,
)
from hotline.reports.periods import Period, next_bucket, parse_period
from hotline.reports.tables import Chart, Column, Drill, ReportTable

MAX_FILTER_VALUES = 50
PERIOD_KEYS = ("period", "from", "to")
# Filter values meaning "no value" for a dimension: a null foreign key, an open call, a visit still waiting.
NONE_VALUES = {"outcome": "open", "result": "waiting"}


def _strings(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _check_filter(source: Source, key: str, raw: Any) -> list[str]:
    """A filter's values, checked against the dimension: ids that exist, known choices, short text."""
    dimension = source.dimensions.get(key)
    if dimension is None or not dimension.filterable:
        raise ValidationError(_("Unknown filter: %(name)s") % {"name": str(key)[:40]}, code="bad_filter")
    values = _unique(_strings(raw))
    if not values or len(values) > MAX_FILTER_VALUES:
        raise ValidationError(_("%(field)s: give between 1 and %(max)d values.")
                              % {"field": dimension.label, "max": MAX_FILTER_VALUES}, code="bad_filter_value")
    for value in values:
        if not _known_value(dimension, value):
            raise ValidationError(_("%(field)s: unknown value %(value)s")
                                  % {"field": dimension.label, "value": value[:40]}, code="bad_filter_value")
    return values


def _known_value(dimension: Dimension, value: str) -> bool:
    if dimension.filter == "choices":
        return value in dimension.choices
    if dimension.filter == "text":
        return 0 < len(value) <= 64
    if value == "none":
        return dimension.nullable
    if not value.isdigit() or len(value) > 12:
        return False
    return bool(filter_model(dimension).objects.filter(pk=int(value)).exists())


def validate(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The definition cleaned (known keys only, in a fixed shape), or ValidationError with a translated
    message saying what is wrong: unknown source, dimension, measure or filter, a bad filter value, no
    measure, too many dimensions, a bad period."""
    if not isinstance(definition, Mapping):
        raise ValidationError(_("A custom report definition is an object."), code="bad_definition")
    source = SOURCES.get(str(definition.get("source") or ""))
    if source is None:
        raise ValidationError(_("Unknown source: %(value)s") % {"value": str(definition.get("source") or "")[:40]},
                              code="bad_source")
    dimensions = _unique(_strings(definition.get("dimensions")))
    for key in dimensions:
        if key not in source.dimensions:
            raise ValidationError(_("Unknown dimension: %(value)s") % {"value": key[:40]}, code="bad_dimension")
    if len(dimensions) > MAX_DIMENSIONS:
        raise ValidationError(_("A custom report groups by at most %(max)d dimensions.") % {"max": MAX_DIMENSIONS},
                              code="too_many_dimensions")
    measures = _unique(_strings(definition.get("measures")))
    for key in measures:
        if key not in source.measures:
            raise ValidationError(_("Unknown measure: %(value)s") % {"value": key[:40]}, code="bad_measure")
    if not measures:
        raise ValidationError(_("Pick at least one measure."), code="no_measure")
    raw_filters = definition.get("filters") or {}
    if not isinstance(raw_filters, Mapping):
        raise ValidationError(_("A custom report definition is an object."), code="bad_definition")
    filters = {str(key): _check_filter(source, str(key), raw) for key, raw in raw_filters.items()}
    period = {key: str(value) for key, value in (definition.get("period") or {}).items()
              if key in PERIOD_KEYS and value}
    if period:
        parse_period(period)  # raises the period's own translated error
    return {"source": source.key, "dimensions": dimensions, "measures": measures, "filters": filters,
            "period": period}


def period_of(definition: Mapping[str, Any], now: datetime.datetime | None = None) -> Period:
    """The period a saved definition names (yesterday when it names none)."""
    return parse_period(definition.get("period") or {}, now=now, default="yesterday")


# ------------------------------------------------------------------------------------------ the rows

def _filter_q(source: Source, key: str, values: list[str]) -> Q:
    dimension = source.dimensions[key]
    path = dimension.path
    if source.key == "orders" and key == "product":
        lines = OrderLine.objects.filter(product__in=[int(v) for v in values], is_gift=False)
        return Q(id__in=lines.values("order_id"))
    if source.key == "orders" and key == "station":
        path = "f_station"
    if dimension.filter == "model":
        ids = [int(v) for v in values if v != "none"]
        condition = Q(**{f"{path}__in": ids}) if ids else Q(pk__in=[])
        return condition | Q(**{f"{path}__isnull": True}) if "none" in values else condition
    blank = NONE_VALUES.get(key)
    return Q(**{f"{path}__in": ["" if v == blank else v for v in values]})


def rows_of(definition: Mapping[str, Any], period: Period) -> QuerySet[Any]:
    """The source's rows in `period` that pass the definition's filters."""
    source = SOURCES[definition["source"]]
    rows = source.model.objects.filter(**{f"{source.date_field}__gte": period.start,
                                          f"{source.date_field}__lt": period.end})
    if source.key == "orders" and "station" in definition["filters"]:
        rows = rows.annotate(f_station=order_station())
    for key, values in definition["filters"].items():
        rows = rows.filter(_filter_q(source, key, values))
    return rows


def _labels(dimension: Dimension, values: set[Any]) -> dict[Any, str]:
    """How each value of a dimension reads: a station's name, an outcome's label, a date…"""
    labels: dict[Any, str] = {}
    if dimension.filter == "model":
        model = filter_model(dimension)
        objects = model.objects.filter(pk__in=[v for v in values if v is not None])
        if dimension.key == "airing":
            objects = objects.select_related("station")
        labels = {obj.pk: str(getattr(obj, dimension.display) if dimension.display else obj) for obj in objects}
    elif dimension.choices:
        blank = NONE_VALUES.get(dimension.key, "")
        labels = {value: str(dimension.choices.get(blank if value == "" else value, value)) for value in values}
    elif dimension.grain == "hour_of_day":
        labels = {value: f"{int(value):02d}:00" for value in values if value is not None}
    return labels


def _cell(dimension: Dimension, value: Any, labels: dict[Any, str]) -> Any:
    if dimension.grain in ("day", "week", "month"):
        return local_date(value)
    if dimension.grain == "hour":
        return timezone.localtime(value) if value is not None and timezone.is_aware(value) else value
    if value is None or value == "":
        return labels.get(value) or _("(none)")
    return labels.get(value, str(value))


def _sort_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((value is None or value == "", str(value) if not isinstance(value, int | float) else "",
                  value if isinstance(value, int | float) else 0) for value in key)


def run(definition: Mapping[str, Any], period: Period) -> ReportTable:
    """The custom report over `period`: one row per group of the dimensions (sorted by them), one column
    per dimension and measure, and the total row (the measures over all the rows, not a sum of rows)."""
    clean = validate(definition)
    source = SOURCES[clean["source"]]
    dimensions = [source.dimensions[key] for key in clean["dimensions"]]
    measures = [source.measures[key] for key in clean["measures"]]
    queryset = rows_of(clean, period)
    groups = compute(source, queryset, clean["dimensions"])
    totals = compute(source, queryset, []).get((), {})
    labels = [_labels(d, {key[i] for key in groups}) for i, d in enumerate(dimensions)]
    columns = [Column(f"d_{d.key}", d.label, d.kind) for d in dimensions]
    columns += [Column(m.key, m.label, m.kind) for m in measures]
    rows = []
    for key in sorted(groups, key=_sort_key):
        row: dict[str, Any] = {f"d_{d.key}": _cell(d, key[i], labels[i]) for i, d in enumerate(dimensions)}
        row.update({m.key: groups[key].get(m.key) for m in measures})
        drills = _drills(source, clean, dimensions, key, period)
        if drills:
            row["_drill"] = drills
        rows.append(row)
    total_row: dict[str, Any] = {m.key: totals.get(m.key) for m in measures}
    if dimensions:
        total_row[f"d_{dimensions[0].key}"] = _("Total")
    total_drills = _drills(source, clean, [], (), period)
    if total_drills:
        total_row["_drill"] = total_drills
    title = _("Custom report: %(source)s") % {"source": source.label}
    return ReportTable(title, columns, rows, total_row, key="custom")


def chart_of(definition: Mapping[str, Any], table: ReportTable) -> Chart | None:
    """The first measure over the first dimension (a line over time, else bars); one series per value of
    the other dimensions. None without a dimension."""
    clean = validate(definition)
    if not clean["dimensions"]:
        return None
    source = SOURCES[clean["source"]]
    first = source.dimensions[clean["dimensions"][0]]
    measure = source.measures[clean["measures"][0]]
    others = [f"d_{key}" for key in clean["dimensions"][1:]]
    x: list[str] = []
    series: dict[str, dict[str, Any]] = {}
    for row in table.rows:
        label = _text(row[f"d_{first.key}"])
        if label not in x:
            x.append(label)
        name = " / ".join(_text(row[key]) for key in others) or str(measure.label)
        series.setdefault(name, {})[label] = row.get(measure.key)
    kind = "line" if first.grain in ("hour", "day", "week", "month") else "bar"
    return Chart(measure.label, kind, x, [(name, [values.get(label) for label in x]) for name, values in
                                         series.items()], key="custom-chart")


def _text(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# ------------------------------------------------------------------------------------------ drill-down

LIST_PARAMS = {"outcome", "status", "result"}  # the drill parameters that take a comma-separated list
NO_NONE = {"hotline_number"}  # the drill parameters without a "none" value


def _merge(params: dict[str, str], name: str, values: list[str]) -> bool:
    """Add a drill parameter; a list parameter given twice keeps what both allow. False: not expressible."""
    if name in params:
        if name not in LIST_PARAMS:
            return params[name] == ",".join(values)
        both = [v for v in params[name].split(",") if v in values]
        if not both:
            return False
        params[name] = ",".join(both)
        return True
    if len(values) > 1 and name not in LIST_PARAMS:
        return False
    params[name] = ",".join(values)
    return True


def _drills(source: Source, clean: dict[str, Any], dimensions: list[Dimension], key: tuple[Any, ...],
            period: Period) -> dict[str, Drill]:
    """The drill-down behind each count of a row (the shared vocabulary of reports-api: calls, visits,
    orders), or nothing when a filter or dimension has no drill parameter."""
    start, end = period.start, period.end
    params: dict[str, str] = {}
    for dimension, value in zip(dimensions, key, strict=True):
        if dimension.grain == "hour_of_day" or (not dimension.drill and not dimension.grain):
            return {}
        if dimension.grain:
            bucket = timezone.localtime(value) if timezone.is_aware(value) else timezone.make_aware(value)
            start, end = max(start, bucket), min(end, next_bucket(bucket, dimension.grain))
            continue
        text = _drill_value(dimension, value)
        if text is None or not _merge(params, dimension.drill, [text]):
            return {}
    for name, values in clean["filters"].items():
        dimension = source.dimensions[name]
        if (dimension.drill in NO_NONE and "none" in values) or not _merge(params, dimension.drill, values):
            return {}
    params.update({"start": start.isoformat(), "end": end.isoformat()})
    drills = {}
    for measure_key in clean["measures"]:
        measure = source.measures[measure_key]
        if measure.drill is None:
            continue
        mine = dict(params)
        if all(_merge(mine, name, value.split(",")) for name, value in measure.drill.items()):
            drills[measure.key] = Drill(source.drill, mine)
    return drills


def _drill_value(dimension: Dimension, value: Any) -> str | None:
    if dimension.filter == "model":
        if value is None:
            return None if dimension.drill in NO_NONE else "none"
        return str(value)
    if value == "" and dimension.key in NONE_VALUES:
        return NONE_VALUES[dimension.key]
    if value is None or value == "":
        return None  # no parameter says "no queue" or "no agent"
    return str(value)
