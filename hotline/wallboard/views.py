"""The supervisors' wallboard page; its figures arrive over the websocket (`consumers.py`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.models import Role, User
from hotline.accounts.permissions import Perm
from hotline.accounts.screens import require_perm
from hotline.calls.models import Queue
from hotline.floor.labels import NOT_READY_REASONS, reason_labels, state_labels
from hotline.service.actions import do_answer_question
from hotline.service.models import Message
from hotline.service.queries import open_questions
from hotline.wallboard.consumers import may_watch_floor

PHASES = {
    "arriving": gettext_lazy("Arriving"), "waiting": gettext_lazy("Waiting"), "ringing": gettext_lazy("Ringing"),
    "talking": gettext_lazy("Talking"),
}
ACTIONS = {
    "listen": gettext_lazy("Listen"), "whisper": gettext_lazy("Whisper"), "barge": gettext_lazy("Barge"),
    "hangup": gettext_lazy("Hang up"), "transfer": gettext_lazy("Transfer"), "pickup": gettext_lazy("Pick up"),
    "not_ready": gettext_lazy("Set not ready"), "logout": gettext_lazy("Sign out"), "calls": gettext_lazy("Calls"),
    "ready": gettext_lazy("Set ready"), "phone_offline": gettext_lazy("Phone offline"),
    "airing_none": gettext_lazy("No airing in its attribution window"),
}


def _people() -> QuerySet[User]:
    return User.objects.filter(role__in=[Role.AGENT, Role.SUPERVISOR], is_active=True).order_by("username")


def _page_config(request: HttpRequest, user: User) -> dict[str, object]:
    """What wallboard.js needs: the websocket, whether to offer actions, its texts, and the words shown for
    engine names (queue labels, agents' names)."""
    return {"ws": "/ws/wallboard/", "can_act": user.has_perm(Perm.SUPERVISE_CALLS),
            "states": state_labels(), "phases": {k: str(v) for k, v in PHASES.items()},
            "reasons": reason_labels(), "queues": Queue.labels(),
            "names": {person.username: person.get_full_name() or person.username for person in _people()},
            "texts": {k: str(v) for k, v in ACTIONS.items()}}


@login_required
@require_GET
def wallboard(request: HttpRequest) -> HttpResponse:
    """The live floor; supervisors also get the call and agent actions."""
    user: User = request.user  # type: ignore[assignment]
    if not may_watch_floor(user):
        raise PermissionDenied()  # the 403 page's own words: this role may not open the page
    return render(request, "wallboard/wallboard.html", {
        "can_act": user.has_perm(Perm.SUPERVISE_CALLS), "queues": Queue.objects.order_by("name"),
        "agents": _people(),
        "reasons": NOT_READY_REASONS, "config": _page_config(request, user),
    })


@login_required
@require_GET
def questions(request: HttpRequest) -> HttpResponse:
    """Agents' open questions (htmx fragment), longest waiting first, each with an answer box."""
    require_perm(request, Perm.SUPERVISE_CALLS)
    return render(request, "wallboard/questions.html", {"questions": open_questions()})


@login_required
@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer an agent's question; the answer reaches their desk live. Answers the fresh list."""
    user = require_perm(request, Perm.SUPERVISE_CALLS)
    question = get_object_or_404(Message, pk=pk)
    errors: list[str] = []
    try:
        do_answer_question(question, request.POST.get("body", ""), actor=user)
    except ValidationError as error:
        errors = [str(message) for message in error.messages]
    return render(request, "wallboard/questions.html", {"questions": open_questions(), "errors": errors},
                  status=400 if errors else 200)
