"""Notify's job kind: handing a large batch of queued messages to their gateways on the task worker."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from hotline.accounts.permissions import Perm
from hotline.jobs.registry import register
from hotline.jobs.runner import JobContext
from hotline.notify.actions import deliver


@register("notify.deliver", label=_("Sending customer messages"), permission=Perm.VIEW_NOTIFICATIONS)
def deliver_batch(ctx: JobContext) -> dict[str, Any]:
    """Deliver the queued notifications `payload["ids"]`, one after another. Safe to run again after a
    crash: `deliver` skips what was sent already."""
    ids: list[int] = ctx.payload.get("ids", [])
    outcome: dict[str, int] = {}
    for done, pk in enumerate(ids, start=1):
        status = deliver(pk)
        outcome[status] = outcome.get(status, 0) + 1
        ctx.progress(done, len(ids))
    return {"summary": str(_("%(count)d messages handed to their gateways.") % {"count": len(ids)}),
            "statuses": outcome}
