"""Reads for the desk's order-task worklist (订单任务): the open tasks in the order they should be called,
and a short built-in script per kind of task with the customer, the goods and the amount merged in.

The scripts are part of the program (translated like any other text), not rows of `service.Script`: a
task's script needs the order's own fields (number, amount, address, reason), which a general script does
not have, and every installation needs them from the first day."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.accounts.models import User
from hotline.logistics.actions.tasks import NOTE_REQUIRED, OUTCOMES
from hotline.logistics.models import OrderTask, TaskKind, TaskOutcome, TaskStatus
from hotline.orders.models import OrderLine
from hotline.service.queries import address_fields, display_name

LIMIT = 50  # rows shown; the count says how many there are in all
# Urgent first (refused parcels: the courier sends them back within days), then the kinds in this order.
KIND_RANK = {TaskKind.RESCUE: 0, TaskKind.CONFIRM: 1, TaskKind.FIX: 2}
KIND_LABELS = {TaskKind.RESCUE: gettext_lazy("Refusal rescue"), TaskKind.CONFIRM: gettext_lazy("Confirmation call"),
               TaskKind.FIX: gettext_lazy("Sent back at review")}
SCRIPTS = {
    TaskKind.RESCUE: gettext_lazy(
        "{greeting}, this is {agent} from the shopping hotline. Your {product} (order {number}, ¥{amount}) "
        "could not be handed over today. May I ask what held you back? We can deliver it again, or to an "
        "address that suits you better."),
    TaskKind.CONFIRM: gettext_lazy(
        "{greeting}, this is {agent} from the shopping hotline. I am calling to confirm your order {number}: "
        "{product}, ¥{amount} to pay on delivery, to {address}. Will you be there to receive and pay for it?"),
    TaskKind.FIX: gettext_lazy(
        "{greeting}, this is {agent} from the shopping hotline. About your order {number} ({product}, "
        "¥{amount}), we need to check something with you: {reason}"),
}
_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class TaskRow:
    """One task as the worklist shows it."""

    task: OrderTask
    label: str
    phone: str
    age: str  # "5 minutes", "1 hour": the largest unit only, the list is narrow
    script: str
    outcomes: list[tuple[str, str]]  # (value, label), in TaskOutcome's order
    note_required: list[str]


def open_tasks(user: User, scope: str) -> tuple[list[OrderTask], int]:
    """Open tasks, mine (assigned to `user`) or all: urgent first, then rescue, confirmation, fix, oldest
    first within each; at most LIMIT, with the number there are in all."""
    rows = OrderTask.objects.filter(status=TaskStatus.OPEN)
    if scope == "mine":
        rows = rows.filter(assigned_to=user)
    rank = Case(*[When(kind=kind, then=Value(n)) for kind, n in KIND_RANK.items()], output_field=IntegerField())
    ordered: QuerySet[OrderTask] = (
        rows.select_related("order__customer", "assigned_to")
        .prefetch_related(Prefetch("order__lines", queryset=OrderLine.objects.filter(is_gift=False)
                                   .select_related("product").order_by("id")))
        .annotate(rank=rank).order_by("-urgent", "rank", "created_at", "id"))
    return list(ordered[:LIMIT]), rows.count()


def task_rows(tasks: list[OrderTask], agent: User) -> list[TaskRow]:
    return [TaskRow(task=task, label=str(KIND_LABELS[TaskKind(task.kind)]), phone=task.order.recipient_phone,
                    age=timesince(task.created_at, depth=1), script=task_script(task, agent),
                    outcomes=outcomes_for(task.kind),
                    note_required=[value for value, _label in outcomes_for(task.kind) if value in NOTE_REQUIRED])
            for task in tasks]


def outcomes_for(kind: str) -> list[tuple[str, str]]:
    return [(outcome.value, str(outcome.label)) for outcome in TaskOutcome if outcome in OUTCOMES[kind]]


def task_script(task: OrderTask, agent: User) -> str:
    """The task's script in the current language with its fields filled in; a field with no value here
    stays as typed, so the agent sees what is missing rather than a gap."""
    order = task.order
    names = [line.product.name for line in order.lines.all()]  # prefetched: the goods, not the gifts
    values: dict[str, Any] = {
        **address_fields(order.customer), "agent": display_name(agent),
        "product": _("、").join(names) if names else _("the product you order"),
        "number": order.number, "amount": f"{order.total:.2f}", "address": order.address_text,
        "reason": task.reason,
    }

    def fill(match: re.Match[str]) -> str:
        return str(values.get(match.group(1)) or match.group(0))

    return _FIELD.sub(fill, str(SCRIPTS[TaskKind(task.kind)]))
