"""/care/: the supervisors' customer-care screen (birthday and saved lists, the criteria editor, greeting a
whole list, greeting rules, promotions), the agents' care-call worklist, and a customer's points history.
Thin views: check the permission, validate a form, call one action (or queue one job), render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hotline.accounts.permissions import Perm
from hotline.crm.care import birthday_counts
from hotline.crm.care_actions import (
    do_delete_greeting_rule,
    do_finish_care_task,
    do_save_criteria,
    do_save_greeting_rule,
    greeting_for,
)
from hotline.crm.care_forms import CareCallForm, CriteriaForm, GreetingRuleForm, PromotionForm, RewardForm
from hotline.crm.care_jobs import BIRTHDAY_KINDS, start_greeting, start_produce
from hotline.crm.models import (
    Birthdays,
    CareCriteria,
    CareList,
    CareTask,
    Customer,
    GreetChannel,
    GreetingRule,
    PointsReward,
    Promotion,
)
from hotline.crm.points_promotions import do_save_promotion, do_save_reward

LIST_LIMIT = 20
ENTRY_LIMIT = 500


def _allowed(request: HttpRequest, perm: Perm) -> Any:
    if not request.user.has_perm(perm):
        raise PermissionDenied
    return request.user


def _saved(request: HttpRequest, form: ModelForm, action: Callable[..., Model]) -> bool:
    """Run the action on a valid form's instance; its refusals go onto the form's fields."""
    if not form.is_valid():
        return False
    try:
        action(form.instance, actor=request.user)
    except ValidationError as exc:
        form.add_error(None, exc)
        return False
    messages.success(request, _("Saved."))
    return True


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Birthday counts, saved criteria and the latest lists."""
    _allowed(request, Perm.MANAGE_CARE)
    counts = birthday_counts()
    birthdays = [(kind, Birthdays(kind).label, counts[kind]) for kind in BIRTHDAY_KINDS]
    return render(request, "crm/care_index.html", {
        "tab": "lists", "birthdays": birthdays, "criteria": CareCriteria.objects.all(),
        "lists": CareList.objects.select_related("criteria")[:LIST_LIMIT]})


@login_required
def criteria_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create or edit saved criteria."""
    _allowed(request, Perm.MANAGE_CARE)
    criteria = get_object_or_404(CareCriteria, pk=pk) if pk else CareCriteria()
    form = CriteriaForm(request.POST or None, instance=criteria)
    if request.method == "POST" and _saved(request, form, do_save_criteria):
        return redirect("care:index")
    return render(request, "crm/care_criteria.html", {"tab": "lists", "form": form, "criteria": criteria},
                  status=422 if request.method == "POST" else 200)


@login_required
@require_POST
def produce(request: HttpRequest) -> HttpResponse:
    """Produce a list (birthdays=today|week|month, or criteria=<pk>) on the task worker."""
    user = _allowed(request, Perm.MANAGE_CARE)
    kind = request.POST.get("birthdays", "")
    if kind in BIRTHDAY_KINDS:
        job = start_produce(actor=user, birthdays=kind)
    else:
        criteria = get_object_or_404(CareCriteria, pk=request.POST.get("criteria") or 0) \
            if (request.POST.get("criteria") or "").isdigit() else None
        if criteria is None:
            messages.error(request, _("Choose a birthday list or saved criteria."))
            return redirect("care:index")
        job = start_produce(actor=user, criteria=criteria)
    return redirect("jobs:job", pk=job.pk)


@login_required
def care_list(request: HttpRequest, pk: int) -> HttpResponse:
    """A produced list: its customers, the channel each would be greeted on, and how each was greeted."""
    _allowed(request, Perm.MANAGE_CARE)
    produced = get_object_or_404(CareList, pk=pk)
    rules = list(GreetingRule.objects.all())
    entries = list(produced.entries.select_related("customer").prefetch_related("customer__phones")[:ENTRY_LIMIT])
    rows = [(entry, entry.channel if entry.greeted_at else greeting_for(entry.customer, rules)[0]) for entry in entries]
    return render(request, "crm/care_list.html", {
        "tab": "lists", "list": produced, "rows": rows, "channels": dict(GreetChannel.choices),
        "pending": produced.entries.filter(greeted_at__isnull=True).count()})


@login_required
@require_POST
def greet(request: HttpRequest, pk: int) -> HttpResponse:
    """Greet everyone on the list not greeted yet, on the task worker."""
    user = _allowed(request, Perm.MANAGE_CARE)
    return redirect("jobs:job", pk=start_greeting(get_object_or_404(CareList, pk=pk), actor=user).pk)


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    """The greeting rules, and a form to add one."""
    _allowed(request, Perm.MANAGE_CARE)
    form = GreetingRuleForm(request.POST or None)
    if request.method == "POST" and _saved(request, form, do_save_greeting_rule):
        return redirect("care:rules")
    return render(request, "crm/care_rules.html", {"tab": "rules", "form": form, "rules": GreetingRule.objects.all()},
                  status=422 if request.method == "POST" else 200)


@login_required
@require_POST
def delete_rule(request: HttpRequest, pk: int) -> HttpResponse:
    do_delete_greeting_rule(get_object_or_404(GreetingRule, pk=pk), actor=_allowed(request, Perm.MANAGE_CARE))
    return redirect("care:rules")


@login_required
def promotions(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The promotions, and a form to add one or change the chosen one."""
    _allowed(request, Perm.MANAGE_CARE)
    promotion = get_object_or_404(Promotion, pk=pk) if pk else Promotion()
    form = PromotionForm(request.POST or None, instance=promotion)
    if request.method == "POST" and _saved(request, form, do_save_promotion):
        return redirect("care:promotions")
    return render(request, "crm/care_promotions.html", {
        "tab": "promotions", "form": form, "promotion": promotion, "reward_form": RewardForm(),
        "promotions": Promotion.objects.select_related("gift"),
        "rewards": PointsReward.objects.select_related("product")},
        status=422 if request.method == "POST" else 200)


@login_required
@require_POST
def add_reward(request: HttpRequest) -> HttpResponse:
    """Add a gift for points; a refusal is shown above the promotions."""
    _allowed(request, Perm.MANAGE_CARE)
    form = RewardForm(request.POST)
    if not _saved(request, form, do_save_reward):
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
    return redirect("care:promotions")


@login_required
def calls(request: HttpRequest) -> HttpResponse:
    """The open care calls, oldest first, with what to say."""
    _allowed(request, Perm.WORK_CARE_TASKS)
    tasks = CareTask.objects.filter(status=CareTask.Status.OPEN).select_related("customer")\
        .prefetch_related("customer__phones")[:100]
    return render(request, "crm/care_calls.html", {"tab": "calls", "tasks": tasks, "form": CareCallForm()})


@login_required
@require_POST
def finish_call(request: HttpRequest, pk: int) -> HttpResponse:
    user = _allowed(request, Perm.WORK_CARE_TASKS)
    form = CareCallForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(list(form.errors["outcome_note"]))
        do_finish_care_task(get_object_or_404(CareTask, pk=pk), actor=user, note=form.cleaned_data["outcome_note"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("care:calls")


@login_required
def points(request: HttpRequest, pk: int) -> HttpResponse:
    """A customer's points: the balance and every movement, newest first."""
    _allowed(request, Perm.VIEW_CUSTOMER)
    customer = get_object_or_404(Customer, pk=pk)
    entries = customer.points_entries.select_related("order")[:200]
    return render(request, "crm/care_points.html", {"tab": "", "customer": customer, "entries": entries})
