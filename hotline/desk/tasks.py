"""The desk's order-task worklist (订单任务): calls logistics asks agents to make — rescue a refused parcel,
confirm a risky cash-on-delivery order, fix an order sent back at review — and closing them with what came
of the call. htmx fragments; the writing is `hotline.logistics.actions.do_complete_task`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.models import User
from hotline.accounts.permissions import Perm
from hotline.accounts.screens import require_perm
from hotline.desk.task_list import open_tasks, task_rows
from hotline.logistics.actions import do_complete_task
from hotline.logistics.models import OrderTask, TaskOutcome


def _scope(value: str | None) -> str:
    return "all" if value == "all" else "mine"


def _worklist(request: HttpRequest, user: User, scope: str, *, status: int = 200,
              **extra: Any) -> HttpResponse:
    tasks, total = open_tasks(user, scope)
    context = {"rows": task_rows(tasks, user), "total": total, "scope": scope,
               "failed_shown": any(task.pk == extra.get("failed") for task in tasks), **extra}
    return render(request, "desk/tasks.html", context, status=status)


@login_required
@require_GET
def order_tasks(request: HttpRequest) -> HttpResponse:
    """The worklist: my open tasks or everyone's, urgent first, each with its script and outcomes."""
    user = require_perm(request, Perm.WORK_ORDER_TASKS)
    return _worklist(request, user, _scope(request.GET.get("scope")))


@login_required
@require_POST
def complete_order_task(request: HttpRequest, pk: int) -> HttpResponse:
    """Close a task with the call's outcome (and the note some outcomes need); answers the fresh list. A
    refused close changes nothing and shows why on the task's row, the typed note kept."""
    user = require_perm(request, Perm.WORK_ORDER_TASKS)
    task = get_object_or_404(OrderTask.objects.select_related("order"), pk=pk)
    scope = _scope(request.POST.get("scope"))
    outcome, note = request.POST.get("outcome", ""), request.POST.get("note", "")
    try:
        do_complete_task(task, outcome, actor=user, note=note)
    except ValidationError as error:
        return _worklist(request, user, scope, status=400, failed=task.pk, note=note, outcome=outcome,
                         errors=[str(message) for message in error.messages])
    except PermissionDenied as error:  # e.g. cancelling another agent's order without the right
        return _worklist(request, user, scope, status=403, failed=task.pk, note=note, outcome=outcome,
                         errors=[str(error) or _("You do not have permission to do this.")])
    return _worklist(request, user, scope, done=task, done_outcome=TaskOutcome(outcome).label)
