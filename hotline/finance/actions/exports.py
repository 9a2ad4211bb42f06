"""Finance's exports written to the audit log, like the back office's (hotline/core/exports.py): a workbook
of receivables or open items carries customers' names and money out of the system, so who took which
and how many rows is kept like any write."""

from __future__ import annotations

from typing import Any

from hotline.accounts.models import AuditEntry
from hotline.finance.actions.common import user_or_none


def do_record_export(what: str, *, actor: Any, rows: int, detail: dict[str, Any] | None = None) -> AuditEntry:
    """One `export` audit row: `what` was exported ("receivables", "open_items", ...), with its row count."""
    user = user_or_none(actor)
    return AuditEntry.objects.create(
        actor=user, actor_name=user.get_username() if user else "system", action="export",
        object_type=f"finance.{what}", object_id="", object_repr=f"{what} × {rows}"[:200],
        after={"rows": rows, **(detail or {})})
