"""/notify/: the outbox screen (queued, sent, failed, receipts; filter; send one again), the SMS opt-outs,
and the endpoint the SMS provider pushes customers' replies to."""

from __future__ import annotations

import hmac
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.permissions import Perm
from hotline.notify import queries
from hotline.notify.actions import do_retry_notification
from hotline.notify.forms import OptOutForm, OutboxFilterForm
from hotline.notify.inbound import do_lift_opt_out, do_record_opt_out, record_uplink
from hotline.notify.models import RETRYABLE, Notification, SmsOptOut


def _user(request: HttpRequest, *perms: Perm) -> Any:
    if not all(request.user.has_perm(perm) for perm in (Perm.VIEW_NOTIFICATIONS, *perms)):
        raise PermissionDenied()
    return request.user


@login_required
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    """The outbox: counts per status, the filtered messages, a retry button on those that may go again."""
    user = _user(request)
    filters = OutboxFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "notify/outbox.html", {
        "filters": filters, "page_obj": queries.page_of(queries.outbox(data), request.GET.get("page")),
        "counts": queries.status_counts(), "query": query.urlencode(), "retryable": RETRYABLE,
        "may_send": user.has_perm(Perm.SEND_NOTIFICATIONS), "tab": "outbox"})


@login_required
@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Send one message again now."""
    user = _user(request, Perm.SEND_NOTIFICATIONS)
    notification = get_object_or_404(Notification, pk=pk)
    try:
        status = do_retry_notification(notification, actor=user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        notification.status = status
        messages.success(request, _("Message %(id)d: %(status)s.") % {"id": pk,
                                                                        "status": notification.get_status_display()})
    return redirect("notify:outbox")


def _opt_out_page(request: HttpRequest, form: OptOutForm, status: int = 200) -> HttpResponse:
    q = request.GET.get("q", "")
    return render(request, "notify/opt_outs.html", {
        "form": form, "rows": queries.opt_outs(q)[:200], "q": q, "tab": "opt-outs",
        "may_send": request.user.has_perm(Perm.SEND_NOTIFICATIONS)}, status=status)


@login_required
@require_GET
def opt_outs(request: HttpRequest) -> HttpResponse:
    """Numbers that asked for no more SMS."""
    _user(request)
    return _opt_out_page(request, OptOutForm())


@login_required
@require_POST
def add_opt_out(request: HttpRequest) -> HttpResponse:
    """Record a number that asked on the phone for no more SMS."""
    user = _user(request, Perm.SEND_NOTIFICATIONS)
    form = OptOutForm(request.POST)
    if form.is_valid():
        try:
            do_record_opt_out(form.cleaned_data["number"], actor=user)
        except ValidationError as error:
            form.add_error("number", error.message_dict.get("number", error.messages))
        else:
            messages.success(request, _("The number gets no more SMS."))
            return redirect("notify:opt-outs")
    return _opt_out_page(request, form, status=400)


@login_required
@require_POST
def lift_opt_out(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer wants SMS again."""
    user = _user(request, Perm.SEND_NOTIFICATIONS)
    do_lift_opt_out(get_object_or_404(SmsOptOut, pk=pk), actor=user)
    messages.success(request, _("The number gets SMS again."))
    return redirect("notify:opt-outs")


@csrf_exempt
@require_POST
def sms_uplink(request: HttpRequest, token: str) -> HttpResponse:
    """Customers' replies pushed by the provider: a JSON list of {phone_number, content, send_time, …}.
    The secret token in the URL (HOTLINE_SMS_CALLBACK_TOKEN) is the only credential such pushes carry."""
    expected = settings.HOTLINE_SMS_CALLBACK_TOKEN
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Http404()
    try:
        payload = json.loads(request.body)
    except ValueError:
        return JsonResponse({"code": 1, "msg": "invalid JSON"}, status=400)
    rows = payload if isinstance(payload, list) else [payload]
    if not all(isinstance(row, dict) for row in rows):
        return JsonResponse({"code": 1, "msg": "expected a list of objects"}, status=400)
    record_uplink(rows)
    return JsonResponse({"code": 0, "msg": "成功"})
