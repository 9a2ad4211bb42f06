"""Outbound campaigns and the post-call survey in the reports: attempts, reached, orders and revenue per
campaign and per agent (definitions in hotline.campaigns.queries), and survey scores per call, agent and
queue (a call counts once: its first answer)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from hotline.calls.models import Queue
from hotline.campaigns import queries
from hotline.reports.periods import Period, parse_period
from hotline.reports.tables import Column, ReportTable
from hotline.reports.views.common import error_text, period_from, reports_user, respond


def campaign_tables() -> list[ReportTable]:
    """Per campaign, then per agent over every campaign."""
    found = list(queries.campaigns()[:500])
    results = queries.results(found)
    figures = [Column("attempts", _("Attempts")), Column("reached", _("Reached")), Column("orders", _("Orders")),
               Column("revenue", _("Revenue"), "money")]
    per_campaign = [{"name": campaign.name, **{k: results[campaign.pk][k] for k in
                                                ("attempts", "reached", "orders", "revenue")}} for campaign in found]
    per_agent = [{"name": row["name"] or "—", **{k: row[k] for k in ("attempts", "reached", "orders", "revenue")}}
                 for row in queries.named_by_agent()]
    return [ReportTable(_("Campaigns"), [Column("name", _("Campaign"), "text"), *figures], per_campaign,
                        key="campaigns"),
            ReportTable(_("Campaign calls per agent"), [Column("name", _("Agent"), "text"), *figures], per_agent,
                        key="campaign-agents")]


def survey_tables(period: Period) -> list[ReportTable]:
    """Scores given in the period per agent, per queue, and the latest calls one by one."""
    score = [Column("answers", _("Answers")), Column("average", _("Average score"), "ratio")]
    tables = []
    for group, title, label in (("agent", _("Satisfaction per agent"), _("Agent")),
                                ("queue", _("Satisfaction per queue"), _("Queue"))):
        found = queries.survey_results(group, period.start, period.end)
        names = queries.agent_names(row["key"] for row in found) if group == "agent" else Queue.labels()
        rows = [{"name": names.get(row["key"], row["key"]) or "—", "answers": row["answers"], "average": row["average"]}
                for row in found]
        tables.append(ReportTable(title, [Column("name", label, "text"), *score], rows, key=f"survey-{group}"))
    per_call = queries.survey_results("call", period.start, period.end)
    agents, queues = queries.agent_names(row["agent"] for row in per_call), Queue.labels()
    calls = [{"name": row["key"], "agent": agents.get(row["agent"], row["agent"]) or "—",
              "queue": queues.get(row["queue"], row["queue"]) or "—", "at": row["at"],
              "score": int(row["average"])} for row in per_call]
    tables.append(ReportTable(_("Satisfaction per call"), [
        Column("name", _("Call"), "text"), Column("agent", _("Agent"), "text"), Column("queue", _("Queue"), "text"),
        Column("at", _("At"), "datetime"), Column("score", _("Score"))], calls, key="survey-call"))
    return tables


@login_required
@require_GET
def campaigns(request: HttpRequest) -> HttpResponse:
    """/reports/campaigns/: campaign results per campaign and agent."""
    reports_user(request)
    context: dict[str, Any] = {"title": _("Outbound campaigns"), "tables": campaign_tables()}
    return respond(request, "campaigns/report.html", "campaigns", context)


@login_required
@require_GET
def surveys(request: HttpRequest) -> HttpResponse:
    """/reports/surveys/: post-call satisfaction per agent, queue and call."""
    reports_user(request)
    context: dict[str, Any] = {"title": _("Satisfaction survey"), "period_default": "this_month"}
    try:
        context["period"] = period_from(request, default="this_month")
        context["tables"] = survey_tables(context["period"])
    except ValidationError as error:
        context["error"] = error_text(error)
        context["period"] = parse_period({})
    return respond(request, "campaigns/report.html", "surveys", context)


urls = [path("campaigns/", campaigns, name="campaigns"), path("surveys/", surveys, name="surveys")]
