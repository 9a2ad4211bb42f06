"""The agent desktop's pages and small forms; engine commands go through the REST API (`/api/engine/…`)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.models import Role, User
from hotline.accounts.permissions import Perm
from hotline.accounts.screens import require_perm
from hotline.calls.models import WORKLIST_CALLBACK_STATUSES, Callback, CallRecord, Queue, Seat
from hotline.desk.state import wrapup_seconds
from hotline.floor.labels import NOT_READY_REASONS, reason_labels, state_labels
from hotline.orders.models import DeliveryMethod, PaymentMethod
from hotline.service.actions import do_ask_supervisor, do_save_call_note, do_send_message
from hotline.service.models import CallNote, Disposition
from hotline.service.queries import colleagues, inbox

TEXTS = {"confirm_logout": _("Sign out of the seat?"), "no_results": _("No product found"),
         "failed": _("The request failed; try again."), "offline": _("The engine is not answering."),
         "gifts": _("Free gifts"), "new_customer": _("New customer"), "no_customer": _("No customer chosen"),
         "no_customers": _("No customer found"), "quantity": _("Qty"), "field_error": _("%(field)s: %(message)s"),
         "phone_hint": _("Register the seat's phone (SIP user %(user)s) to take calls: calls are offered only to "
                         "a phone that can ring."),
         "seconds_left": _("%(seconds)s s left")}
WRAPUP_EXTENSION = 30  # seconds one press of "extend wrap-up" adds
# The order form's fields as the server names them in its errors, with the label the agent sees.
FIELD_LABELS = {"customer_id": _("Customer"), "new_customer": _("New customer"), "new_customer.name": _("Name"),
                "new_customer.gender": _("Gender"), "new_customer.phone": _("Phone number"), "lines": _("Product"),
                "delivery_method": _("Delivery"), "payment_method": _("Payment"), "rush": _("Rush"),
                "address_id": _("Address"), "address_text": _("Address"), "recipient": _("Address"),
                "recipient_phone": _("Address"), "invoice_title": _("Invoice title"),
                "invoice_tax_id": _("Taxpayer id"), "notes": _("Notes"), "number": _("Phone number")}


def _page_config(request: HttpRequest) -> dict[str, Any]:
    """What desk.js needs: the websocket, wrap-up times, queue labels, the seats' SIP users (for the "phone
    offline" hint), and its texts in the user's language."""
    return {"ws": f"/ws/desk/?lang={getattr(request, 'LANGUAGE_CODE', 'zh-hans')}", "wrapup": wrapup_seconds(),
            "queues": {queue.name: queue.label or queue.name for queue in Queue.objects.all()},
            "seat_users": dict(Seat.objects.values_list("name", "sip_username")),
            "wrapup_extension": WRAPUP_EXTENSION,
            "states": state_labels(),
            "reasons": reason_labels(),
            "texts": {key: str(text) for key, text in TEXTS.items()},
            "fields": {key: str(label) for key, label in FIELD_LABELS.items()},
            "order_disposition": Disposition.ORDER_PLACED}


@login_required
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    """The desk: state bar, pop, order entry, scripts, worklists. Agents (and supervisors) only."""
    user = require_perm(request, Perm.TAKE_CALLS, page=True)
    seat = Seat.objects.filter(agent=user).first()
    context: dict[str, Any] = {
        "seat": seat, "free_seats": Seat.objects.filter(agent__isnull=True).order_by("name"),
        "reasons": NOT_READY_REASONS, "wrapup": wrapup_seconds(), "queues": Queue.objects.order_by("name"),
        "agents": User.objects.filter(role__in=[Role.AGENT, Role.SUPERVISOR], is_active=True)
        .exclude(pk=user.pk).order_by("username"),
        "delivery_methods": DeliveryMethod.choices, "payment_methods": PaymentMethod.choices,
        "dispositions": CallNote._meta.get_field("disposition").choices,
        "config": _page_config(request),
    }
    return render(request, "desk/desk.html", context)


@login_required
@require_GET
def callbacks(request: HttpRequest) -> HttpResponse:
    """The callback worklist (htmx fragment): mine (my calls' numbers) or all live ones, and those the dial
    policy held for a person (with why)."""
    user = require_perm(request, Perm.VIEW_CALLBACK)
    rows = Callback.objects.filter(status__in=WORKLIST_CALLBACK_STATUSES).select_related("airing__station")
    scope = "all" if request.GET.get("scope") == "all" else "mine"
    if scope == "mine":
        rows = rows.filter(number__in=CallRecord.objects.filter(agent_key=user.username).values("caller"))
    return render(request, "desk/callbacks.html", {"callbacks": rows.order_by("captured_at")[:50], "scope": scope})


@login_required
@require_GET
def messages(request: HttpRequest) -> HttpResponse:
    user = require_perm(request, Perm.TAKE_CALLS)
    return render(request, "desk/messages.html", {"messages": inbox(user, limit=20)})


def _form_errors(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


@login_required
@require_POST
def send_message(request: HttpRequest) -> HttpResponse:
    """Ask my supervisor (a question), or message the supervisors or one colleague (`recipient`, a user name);
    answers the fresh message list."""
    user = require_perm(request, Perm.TAKE_CALLS)
    body, call_id = request.POST.get("body", ""), request.POST.get("call_id", "")
    name = request.POST.get("recipient", "").strip()
    try:
        if request.POST.get("kind") == "question":
            do_ask_supervisor(body, actor=user, call_id=call_id)
        elif name:
            recipient = colleagues(user).filter(username=name).first()
            if recipient is None:
                raise ValidationError({"recipient": _("Choose another recipient.")})
            do_send_message(body, actor=user, recipient=recipient, call_id=call_id)
        else:
            do_send_message(body, actor=user, to_supervisors=True, call_id=call_id)
    except ValidationError as error:
        return render(request, "desk/messages.html", {"messages": inbox(user, limit=20),
                                                      "errors": _form_errors(error)}, status=400)
    return render(request, "desk/messages.html", {"messages": inbox(user, limit=20), "sent": True})


@login_required
@require_POST
def save_note(request: HttpRequest) -> HttpResponse:
    """The after-call form: disposition and notes for the call just handled."""
    user = require_perm(request, Perm.TAKE_CALLS)
    try:
        note = do_save_call_note(request.POST.get("call_id", ""), request.POST.get("disposition", ""),
                                 request.POST.get("notes", ""), actor=user)
    except ValidationError as error:
        return render(request, "desk/note_saved.html", {"errors": _form_errors(error)}, status=400)
    return render(request, "desk/note_saved.html", {"note": note})
