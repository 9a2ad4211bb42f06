"""`{% cell row column %}`: one table cell, formatted by its column's kind, linked to its drill-down
(`row["_drill"][key]`, a Drill) or to a page about the row (`row["_link"][key]`, a URL: the call's record,
the order's page)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from hotline.reports.tables import Column, Drill, cell_text

register = template.Library()


def sort_value(value: Any, kind: str, text: str) -> str:
    """What reports.js sorts the column by: a plain decimal for numbers (a Fraction's "37/3" is no number
    to JavaScript), the shown text for times and words."""
    if value is None:
        return ""
    if isinstance(value, Fraction):
        return repr(float(value))
    if kind in ("datetime", "date", "text"):
        return text if kind != "text" else str(value)
    return str(value)


@register.simple_tag
def cell(row: dict[str, Any], column: Column) -> SafeString:
    value = row.get(column.key)
    text = cell_text(value, column.kind)
    sort = sort_value(value, column.kind, text)
    numeric = ' class="num"' if column.kind not in ("text", "datetime", "date") else ""
    drill = (row.get("_drill") or {}).get(column.key)
    if isinstance(drill, Drill) and value is not None:
        return format_html('<td data-value="{}"{}><a href="{}" data-drill="{}">{}</a></td>', sort,
                           SafeString(numeric), drill.url(), drill.name, text)
    link = (row.get("_link") or {}).get(column.key)
    if link and value not in (None, ""):
        return format_html('<td data-value="{}"{}><a href="{}" data-link>{}</a></td>', sort, SafeString(numeric),
                           link, text)
    return format_html('<td data-value="{}"{}>{}</td>', sort, SafeString(numeric), text)
