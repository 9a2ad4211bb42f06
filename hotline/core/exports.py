"""Exports of back-office lists, each written to the audit log with its row count.

A list exported is data leaving the system (the customer base is ~10,000 names, phones and addresses),
so who took what, how much of it and in which format is kept like any write.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from hotline.accounts.models import AuditEntry
from hotline.lib.xlsx import TableImport


def do_export_table(table: type[TableImport], queryset: models.QuerySet[Any], *, actor: Any, fmt: str) -> bytes:
    """The queryset as a file in `fmt` ("xlsx" or "csv"), and one `export` audit row saying how many rows
    of which model it holds. The caller has checked the export permission."""
    content, rows = table.export_counted(queryset, user=actor, fmt=fmt)
    user = actor if getattr(actor, "pk", None) else None
    opts = queryset.model._meta
    AuditEntry.objects.create(
        actor=user, actor_name=user.get_username() if user else "system", action="export",
        object_type=opts.label_lower, object_id="", object_repr=f"{opts.verbose_name_plural} × {rows}"[:200],
        after={"rows": rows, "format": fmt},
    )
    return content
