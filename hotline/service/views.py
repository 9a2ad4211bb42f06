"""The customer-service back office under /service/: the complaint worklist with filters, one complaint's
page with its whole life (every step a form that calls one action), and the bulletin board."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hotline.accounts.models import User
from hotline.accounts.permissions import Perm
from hotline.accounts.screens import require_perm
from hotline.crm.queries import customers_by_phone
from hotline.service import actions
from hotline.service.complaint_queries import ComplaintFilter, complaint_for, complaints_for, history
from hotline.service.models import Category, ComplaintStatus, ContactOutcome, Department, Notice, Priority
from hotline.service.queries import current_notices

PAGE_SIZE = 100


def _int(raw: str | None) -> int | None:
    try:
        return int(raw or "")
    except ValueError:
        return None


def _errors(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{message}" for messages_ in error.message_dict.values() for message in messages_]
    return list(error.messages)


def _filters(request: HttpRequest) -> ComplaintFilter:
    get = request.GET
    return ComplaintFilter(status=get.get("status", ""), category=get.get("category", ""),
                           department=_int(get.get("department")), owner=get.get("owner", "").strip(),
                           overdue=get.get("overdue") == "1")


def _choices() -> dict[str, Any]:
    return {"statuses": ComplaintStatus.choices, "categories": Category.objects.order_by("position", "id"),
            "departments": Department.objects.order_by("position", "name"), "priorities": Priority.choices,
            "handlers": [u for u in User.objects.filter(is_active=True).order_by("username")
                         if u.has_perm(Perm.HANDLE_COMPLAINT)],
            "outcomes": ContactOutcome.choices}


@login_required
@require_GET
def complaint_list(request: HttpRequest) -> HttpResponse:
    """The worklist: filters status, category, department, owner (a user name or "none"), overdue."""
    user = require_perm(request, Perm.VIEW_COMPLAINT, page=True)
    filters = _filters(request)
    context: dict[str, Any] = {"filters": filters, "now": timezone.now(), **_choices()}
    try:
        context["complaints"] = list(complaints_for(user, filters)[:PAGE_SIZE])
    except ValidationError as error:
        context["errors"] = _errors(error)
        return render(request, "service/complaints.html", context, status=422)
    return render(request, "service/complaints.html", context)


@login_required
@require_GET
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One complaint: its facts, its history (who, when, what) and the forms of the next steps."""
    user = require_perm(request, Perm.VIEW_COMPLAINT, page=True)
    complaint = complaint_for(user, pk)
    return render(request, "service/complaint.html", {"complaint": complaint, "events": history(complaint),
                                                      "now": timezone.now(), **_choices()})


def _assign(complaint: Any, post: Any, user: User) -> Any:
    owner = User.objects.filter(username=post.get("owner", ""), is_active=True).first() if post.get("owner") else None
    department = Department.objects.filter(pk=_int(post.get("department")) or 0).first()
    return actions.do_assign_complaint(complaint, actor=user, owner=owner, department=department,
                                       priority=post.get("priority") or None)


STEPS: dict[str, Callable[[Any, Any, User], Any]] = {
    "assign": _assign,
    "take": lambda c, post, user: actions.do_take_complaint(c, actor=user),
    "note": lambda c, post, user: actions.do_add_complaint_note(c, post.get("text", ""), actor=user),
    "contact": lambda c, post, user: actions.do_record_contact(c, post.get("outcome", ""), post.get("text", ""),
                                                               actor=user),
    "close": lambda c, post, user: actions.do_close_complaint(c, post.get("resolution", ""), actor=user),
    "confirm": lambda c, post, user: actions.do_confirm_resolution(c, post.get("text", ""), actor=user),
    "reopen": lambda c, post, user: actions.do_reopen_complaint(c, post.get("reason", ""), actor=user),
}


@login_required
@require_POST
def complaint_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """One step of the complaint's life (assign, take, note, contact, close, confirm, reopen): one action."""
    user = require_perm(request, Perm.HANDLE_COMPLAINT)
    complaint = complaint_for(user, pk)
    if step not in STEPS:
        return HttpResponse(status=404)
    try:
        STEPS[step](complaint, request.POST, user)
    except ValidationError as error:
        complaint.refresh_from_db()
        return render(request, "service/complaint.html", {
            "complaint": complaint, "events": history(complaint), "now": timezone.now(), "errors": _errors(error),
            "failed_step": step, **_choices()}, status=422)
    messages.success(request, _("Saved."))
    return redirect("service:complaint", pk=pk)


@login_required
@require_POST
def complaint_new(request: HttpRequest) -> HttpResponse:
    """Open a complaint from the back office, for the customer with this phone number."""
    user = require_perm(request, Perm.OPEN_COMPLAINT)
    post = request.POST
    try:
        found = customers_by_phone(post.get("phone", "").strip()[:32])
        if not found:
            raise ValidationError({"phone": _("No customer has this phone number.")})
        complaint = actions.do_open_complaint(found[0], post.get("summary", ""), actor=user,
                                              category=post.get("category"), priority=post.get("priority") or "normal")
    except ValidationError as error:
        context = {"filters": ComplaintFilter(), "now": timezone.now(), "errors": _errors(error), "values": post,
                   "complaints": list(complaints_for(user, ComplaintFilter())[:PAGE_SIZE]), **_choices()}
        return render(request, "service/complaints.html", context, status=422)
    return redirect("service:complaint", pk=complaint.pk)


def _local(raw: str) -> datetime.datetime | None:
    moment = parse_datetime(raw or "")
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


@login_required
@require_http_methods(["GET", "POST"])
def notices(request: HttpRequest) -> HttpResponse:
    """The bulletin board: current notices, and a supervisor's form to post one with an expiry."""
    user = require_perm(request, Perm.POST_NOTICE, page=True)
    context: dict[str, Any] = {"notices": current_notices()}
    if request.method == "POST":
        try:
            actions.do_post_notice(request.POST.get("title", ""), request.POST.get("body", ""), actor=user,
                                   expires_at=_local(request.POST.get("expires_at", "")))
        except ValidationError as error:
            context.update(errors=_errors(error), values=request.POST)
            return render(request, "service/notices.html", context, status=422)
        messages.success(request, _("The notice is on the board."))
        return redirect("service:notices")
    return render(request, "service/notices.html", context)


@login_required
@require_POST
def withdraw_notice(request: HttpRequest, pk: int) -> HttpResponse:
    user = require_perm(request, Perm.POST_NOTICE)
    notice = Notice.objects.filter(pk=pk).first()
    if notice is None:
        return HttpResponse(status=404)
    actions.do_withdraw_notice(notice, actor=user)
    return redirect("service:notices")
