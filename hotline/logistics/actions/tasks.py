"""Order tasks on the desk's worklist: closing them with their outcome."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.audit import record
from hotline.accounts.permissions import Perm
from hotline.logistics.actions.common import require, user_or_none
from hotline.logistics.models import OrderTask, TaskKind, TaskOutcome, TaskStatus
from hotline.orders.actions import do_transition_order
from hotline.orders.models import Status

Out = TaskOutcome
OUTCOMES: dict[str, frozenset[str]] = {
    TaskKind.RESCUE: frozenset({Out.REDELIVER, Out.ADDRESS, Out.CANCEL, Out.UNREACHED}),
    TaskKind.CONFIRM: frozenset({Out.CONFIRMED, Out.CANCEL}),
    TaskKind.FIX: frozenset({Out.FIXED, Out.CANCEL}),
}
# Outcomes that need words: the new address for the courier, why the customer cancels.
NOTE_REQUIRED = frozenset({Out.ADDRESS, Out.CANCEL})


@transaction.atomic
def do_complete_task(task: OrderTask, outcome: str, *, actor: Any, note: str = "") -> OrderTask:
    """Close a task with what came of the call. Cancelling a confirmation or a sent-back order cancels the
    order (its stock comes back); a rescued parcel delivered again (再派) lets the courier's delivery count."""
    require(actor, Perm.WORK_ORDER_TASKS)
    task = OrderTask.objects.select_for_update().select_related("order").get(pk=task.pk)
    if task.status != TaskStatus.OPEN:
        raise ValidationError(_("This task is already done."))
    if outcome not in OUTCOMES[task.kind]:
        raise ValidationError({"outcome": _("“%(outcome)s” is not an outcome of this task.") % {"outcome": outcome}})
    note = note.strip()
    if outcome in NOTE_REQUIRED and not note:
        raise ValidationError({"note": _("Write the new address or why the customer cancels.")})
    if len(note) > 300:
        raise ValidationError({"note": _("At most %(max)d characters.") % {"max": 300}})
    if outcome == Out.CANCEL and task.kind != TaskKind.RESCUE and task.order.status != Status.CANCELLED:
        do_transition_order(task.order, Status.CANCELLED, actor=actor, reason=note)
    task.status, task.outcome, task.outcome_note = TaskStatus.DONE, outcome, note
    task.done_at, task.done_by = timezone.now(), user_or_none(actor)
    task.save()
    record("complete_order_task", task, actor=actor, after={"outcome": outcome, "note": note})
    return task
