"""`{% cell row column %}`: one table cell, formatted by its column's kind, linked to its drill-down."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from hotline.reports.tables import Column, Drill, cell_text

register = template.Library()


@register.simple_tag
def cell(row: dict[str, Any], column: Column) -> str:
    value = row.get(column.key)
    text = cell_text(value, column.kind)
    sort = "" if value is None else str(value if column.kind not in ("datetime", "date") else text)
    numeric = column.kind not in ("text", "datetime", "date")
    drill = (row.get("_drill") or {}).get(column.key)
    if isinstance(drill, Drill) and value is not None:
        return format_html('<td data-value="{}"{}><a href="{}" data-drill="{}">{}</a></td>', sort,
                           ' class="num"' if numeric else "", drill.url(), drill.name, text)
    return format_html('<td data-value="{}"{}>{}</td>', sort, ' class="num"' if numeric else "", text)
