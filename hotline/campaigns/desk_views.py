"""The desk's campaign panel under /desk/campaigns/: the customer the agent is calling for a campaign (with
the script and the dispositions), the next preview customer, and the survey flag for the call on the pop.
htmx fragments; every write is one action."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.permissions import Perm
from hotline.accounts.screens import require_perm
from hotline.campaigns import actions, queries
from hotline.campaigns.models import Campaign, Contact
from hotline.campaigns.views import errors_of


def _panel(request: HttpRequest, user: Any, errors: list[str] | None = None, *, status: int = 200,
           survey: str = "") -> HttpResponse:
    contact = queries.current_contact(user)
    script = ""
    if contact is not None:
        script = contact.campaign.script.replace("{name}", contact.customer.salutation)
    context = {"contact": contact, "script": script, "campaigns": queries.preview_campaigns(user),
               "errors": errors or [], "survey": survey}
    return render(request, "campaigns/desk_panel.html", context, status=status)


@login_required
@require_GET
def panel(request: HttpRequest) -> HttpResponse:
    """The panel: the current campaign customer, or the preview campaigns to take one from."""
    return _panel(request, require_perm(request, Perm.WORK_CAMPAIGNS))


@login_required
@require_POST
def take_next(request: HttpRequest) -> HttpResponse:
    """Take the next customer of a preview campaign."""
    user = require_perm(request, Perm.WORK_CAMPAIGNS)
    campaign = get_object_or_404(Campaign, pk=request.POST.get("campaign") or 0)
    try:
        if actions.do_take_preview(campaign, actor=user) is None:
            raise ValidationError({"campaign": _("Nobody is due to be called in this campaign now.")})
    except ValidationError as error:
        return _panel(request, user, errors_of(error), status=422)
    return _panel(request, user)


@login_required
@require_POST
def dialled(request: HttpRequest) -> HttpResponse:
    """The agent dialled the previewed customer (click-to-dial answered with this call id)."""
    user = require_perm(request, Perm.WORK_CAMPAIGNS)
    contact = get_object_or_404(Contact, pk=request.POST.get("contact") or 0)
    try:
        actions.do_preview_dialled(contact, request.POST.get("call_id", "").strip()[:64], actor=user)
    except ValidationError as error:
        return _panel(request, user, errors_of(error), status=422)
    return _panel(request, user)


@login_required
@require_POST
def dispose(request: HttpRequest) -> HttpResponse:
    """Record the call's disposition (or a preview dial's no answer / busy)."""
    user = require_perm(request, Perm.WORK_CAMPAIGNS)
    contact = get_object_or_404(Contact, pk=request.POST.get("contact") or 0)
    try:
        actions.do_dispose_contact(contact, request.POST.get("disposition", ""), note=request.POST.get("note", ""),
                                   actor=user)
    except ValidationError as error:
        return _panel(request, user, errors_of(error), status=422)
    return _panel(request, user)


@login_required
@require_POST
def survey(request: HttpRequest) -> HttpResponse:
    """The caller on the pop agreed to the survey: they hear it when the agent hangs up."""
    user = require_perm(request, Perm.WORK_CAMPAIGNS)
    try:
        consent = actions.do_set_survey_consent(request.POST.get("call_id", ""), actor=user)
    except ValidationError as error:
        return _panel(request, user, errors_of(error), status=422)
    return _panel(request, user, survey=consent.call_id)
