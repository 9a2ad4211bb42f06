"""The campaigns back office under /campaigns/: the list with results and a form to create one; one
campaign's page (load the list, start, pause, finish; contacts; results per agent). Every write is one
action; errors come back on the page, naming the field."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.permissions import Perm
from hotline.accounts.screens import require_perm
from hotline.calls.models import DialResult, Queue
from hotline.campaigns import actions, queries
from hotline.campaigns.models import Campaign, CampaignStatus, Mode, Source
from hotline.catalog.models import Product


def errors_of(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [str(message) for found in error.message_dict.values() for message in found]
    return [str(message) for message in error.messages]


def _number(raw: str | None, field: str, default: int) -> int:
    if not (raw or "").strip():
        return default
    try:
        return int(raw or "")
    except ValueError:
        raise ValidationError({field: _("Enter a whole number.")}) from None


def _time(raw: str | None, field: str) -> datetime.time | None:
    if not (raw or "").strip():
        return None
    try:
        return datetime.time.fromisoformat((raw or "").strip())
    except ValueError:
        raise ValidationError({field: _("Enter a time such as 09:00.")}) from None


def _index_context(errors: list[str] | None = None, values: Any = None) -> dict[str, Any]:
    found = list(queries.campaigns()[:200])
    results = queries.results(found)
    return {"rows": [(campaign, results[campaign.pk]) for campaign in found], "sources": Source.choices,
            "modes": Mode.choices,
            "queues": Queue.objects.order_by("name"), "products": Product.objects.order_by("name")[:500],
            "by_agent": queries.named_by_agent(), "errors": errors or [], "values": values or {}}


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """/campaigns/: every campaign with its results, results per agent, and the form for a new one."""
    require_perm(request, Perm.VIEW_CAMPAIGNS, page=True)
    return render(request, "campaigns/index.html", _index_context())


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    """Create a campaign (draft) and go to its page."""
    user = require_perm(request, Perm.MANAGE_CAMPAIGNS)
    post = request.POST
    try:
        product = Product.objects.filter(pk=_number(post.get("product"), "product", 0)).first()
        campaign = actions.do_create_campaign(
            name=post.get("name", ""), source=post.get("source", ""), mode=post.get("mode", ""),
            queue=post.get("queue", ""), days=_number(post.get("days"), "days", 7), product=product,
            script=post.get("script", ""), dispositions=post.get("dispositions", ""),
            window_start=_time(post.get("window_start"), "window_start"),
            window_end=_time(post.get("window_end"), "window_end"),
            retry_minutes=_number(post.get("retry_minutes"), "retry_minutes", 60),
            max_attempts=_number(post.get("max_attempts"), "max_attempts", 3), actor=user)
    except ValidationError as error:
        return render(request, "campaigns/index.html", _index_context(errors_of(error), post), status=422)
    return redirect("campaigns:detail", campaign.pk)


def _detail(request: HttpRequest, campaign: Campaign, errors: list[str] | None = None,
            status: int = 200) -> HttpResponse:
    contacts = list(queries.contacts_of(campaign)[:1000])
    labels = dict(DialResult.choices)
    for contact in contacts:  # the translated label of the dial's result, not its code
        contact.result_label = labels.get(contact.last_result, contact.last_result)  # type: ignore[attr-defined]
    context = {"campaign": campaign, "contacts": contacts,
               "results": queries.results([campaign])[campaign.pk], "by_agent": queries.named_by_agent(campaign),
               "errors": errors or [], "statuses": CampaignStatus}
    return render(request, "campaigns/detail.html", context, status=status)


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """/campaigns/<id>/: the campaign's contacts, results and commands."""
    require_perm(request, Perm.VIEW_CAMPAIGNS, page=True)
    return _detail(request, get_object_or_404(Campaign, pk=pk))


@login_required
@require_POST
def load(request: HttpRequest, pk: int) -> HttpResponse:
    """Load (or top up) the campaign's list."""
    user = require_perm(request, Perm.MANAGE_CAMPAIGNS)
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        added = actions.do_load_list(campaign, actor=user)
    except ValidationError as error:
        return _detail(request, campaign, errors_of(error), 422)
    messages.success(request, _("%(count)d customers added to the list.") % {"count": added})
    return redirect("campaigns:detail", pk)


@login_required
@require_POST
def set_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Start, pause or finish the campaign."""
    user = require_perm(request, Perm.MANAGE_CAMPAIGNS)
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        actions.do_set_campaign_status(campaign, request.POST.get("status", ""), actor=user)
    except ValidationError as error:
        return _detail(request, campaign, errors_of(error), 422)
    return redirect("campaigns:detail", pk)
