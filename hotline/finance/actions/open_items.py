"""Open items (未达账项): the differences reconciliation found, resolved by a clerk with a note saying how
(the courier paid the shortfall, the line was a typo, written off), or reopened when that proves wrong.

An open item is not a money row: resolving it changes its status, and the audit log keeps who did what.
Money that changes hands to settle one is recorded as a payment or refund of its own."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.audit import record, snapshot
from hotline.accounts.permissions import Perm
from hotline.finance.actions.common import require, user_or_none
from hotline.finance.models import OpenItem, OpenItemStatus
from hotline.lib.bus import publish_on_commit

NOTE_LIMIT = 300  # OpenItem.resolution


def _note(value: str, field: str, missing: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: missing})
    if len(value) > NOTE_LIMIT:
        raise ValidationError({field: _("At most %(max)d characters.") % {"max": NOTE_LIMIT}})
    return value


@transaction.atomic
def do_resolve_open_item(item: OpenItem, *, resolution: str, actor: Any) -> OpenItem:
    """Close an open item with a note of how it was settled; an item already resolved is refused (two
    clerks resolving the same one: the second is told, the first note stays)."""
    require(actor, Perm.RECONCILE)
    item = OpenItem.objects.select_for_update().get(pk=item.pk)
    resolution = _note(resolution, "resolution", _("Write how this difference was settled."))
    if item.status != OpenItemStatus.OPEN:
        raise ValidationError(_("This open item was resolved already."))
    before = snapshot(item)
    item.status, item.resolution = OpenItemStatus.RESOLVED, resolution
    item.resolved_at, item.resolved_by = timezone.now(), user_or_none(actor)
    item.save(update_fields=["status", "resolution", "resolved_at", "resolved_by"])
    record("resolve_open_item", item, actor=actor, before=before, after=snapshot(item))
    publish_on_commit("finance.open_item", {"open_item_id": item.pk, "status": item.status})
    return item


@transaction.atomic
def do_reopen_open_item(item: OpenItem, *, reason: str, actor: Any) -> OpenItem:
    """Open a resolved item again (the courier did not pay after all), with the reason; the earlier
    resolution stays in the audit log."""
    require(actor, Perm.RECONCILE)
    item = OpenItem.objects.select_for_update().get(pk=item.pk)
    reason = _note(reason, "reason", _("Say why this item is open again."))
    if item.status != OpenItemStatus.RESOLVED:
        raise ValidationError(_("This open item is open already."))
    before = snapshot(item)
    item.status, item.resolution, item.resolved_at, item.resolved_by = OpenItemStatus.OPEN, "", None, None
    item.save(update_fields=["status", "resolution", "resolved_at", "resolved_by"])
    record("reopen_open_item", item, actor=actor, before=before, after={**snapshot(item), "reason": reason})
    publish_on_commit("finance.open_item", {"open_item_id": item.pk, "status": item.status})
    return item
