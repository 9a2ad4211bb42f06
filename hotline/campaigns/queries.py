"""Reads of campaigns and surveys: the list, one campaign's contacts, results per campaign and agent, the
agent's current campaign customer, survey results per call, agent and queue.

Results (counted from the attempt rows and orders, never kept as counters):
- **attempts**: dials of a customer (by the engine once the agent answered, or the agent's preview dial);
- **reached**: contacts whose customer answered (progressive) or got a disposition other than no answer /
  busy (preview);
- **orders** and **revenue**: orders taken on one of the campaign's calls (the order's call id), not
  cancelled, and their totals.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, Q, QuerySet, Sum

from hotline.campaigns.models import Attempt, Campaign, CampaignStatus, Contact, ContactStatus, SurveyResult
from hotline.orders.models import Order, Status


def campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.order_by("-id")


def contacts_of(campaign: Campaign) -> QuerySet[Contact]:
    return campaign.contacts.select_related("customer", "agent", "order").order_by("id")


def agent_names(usernames: Any) -> dict[str, str]:
    """What people read for each username: the full name, else the username itself."""
    keys = [name for name in set(usernames) if name]
    full = {user.username: user.get_full_name() for user in get_user_model().objects.filter(username__in=keys)}
    return {key: full.get(key) or key for key in keys}


def _orders(campaign_ids: list[int]) -> QuerySet[Order]:
    calls = Attempt.objects.filter(contact__campaign__in=campaign_ids).exclude(call_id="").values("call_id")
    return Order.objects.filter(call_id__in=calls).exclude(status=Status.CANCELLED)


def results(campaign_list: list[Campaign]) -> dict[int, dict[str, Any]]:
    """Per campaign id: contacts, attempts, reached, excluded, orders, revenue."""
    ids = [c.pk for c in campaign_list]
    found: dict[int, dict[str, Any]] = {pk: {"contacts": 0, "attempts": 0, "reached": 0, "excluded": 0,
                                             "orders": 0, "revenue": Decimal("0.00")} for pk in ids}
    for row in (Contact.objects.filter(campaign__in=ids).values("campaign")
                .annotate(contacts=Count("id"), reached=Count("id", filter=Q(status=ContactStatus.REACHED)),
                          excluded=Count("id", filter=Q(status=ContactStatus.EXCLUDED)))):
        found[row["campaign"]].update(contacts=row["contacts"], reached=row["reached"], excluded=row["excluded"])
    for row in (Attempt.objects.filter(contact__campaign__in=ids, kind="dialled").values("contact__campaign")
                .annotate(n=Count("id"))):
        found[row["contact__campaign"]]["attempts"] = row["n"]
    for pk in ids:
        money = _orders([pk]).aggregate(n=Count("id"), total=Sum("total"))
        found[pk].update(orders=money["n"], revenue=money["total"] or Decimal("0.00"))
    return found


def results_by_agent(campaign: Campaign | None = None) -> list[dict[str, Any]]:
    """Per agent (username): attempts, reached, orders, revenue; one campaign or all of them."""
    ids = [campaign.pk] if campaign is not None else list(Campaign.objects.values_list("pk", flat=True))
    rows: dict[str, dict[str, Any]] = {}

    def row(name: str | None) -> dict[str, Any]:
        return rows.setdefault(name or "", {"agent": name or "", "attempts": 0, "reached": 0, "orders": 0,
                                            "revenue": Decimal("0.00")})

    for item in (Attempt.objects.filter(contact__campaign__in=ids, kind="dialled").values("agent__username")
                 .annotate(n=Count("id"))):
        row(item["agent__username"])["attempts"] = item["n"]
    for item in (Contact.objects.filter(campaign__in=ids, status=ContactStatus.REACHED).values("agent__username")
                 .annotate(n=Count("id"))):
        row(item["agent__username"])["reached"] = item["n"]
    for item in _orders(ids).values("agent__username").annotate(n=Count("id"), total=Sum("total")):
        found = row(item["agent__username"])
        found["orders"], found["revenue"] = item["n"], item["total"] or Decimal("0.00")
    return [rows[name] for name in sorted(rows)]


def named_by_agent(campaign: Campaign | None = None) -> list[dict[str, Any]]:
    """`results_by_agent` with each agent's "name" as people read it (full name, else username)."""
    rows = results_by_agent(campaign)
    names = agent_names(row["agent"] for row in rows)
    return [{**row, "name": names.get(row["agent"], row["agent"])} for row in rows]


def current_contact(user: Any) -> Contact | None:
    """The campaign customer this agent is calling now: previewed, or dialled / reached by the engine for
    them and not yet disposed."""
    mine = Contact.objects.filter(agent=user, disposition="").select_related("campaign", "customer")
    previewing = mine.filter(status=ContactStatus.PREVIEWING).order_by("-updated_at").first()
    if previewing is not None:
        return previewing
    return (mine.filter(status__in=(ContactStatus.DIALLING, ContactStatus.REACHED))
            .order_by("-updated_at").first())


def preview_campaigns(user: Any) -> QuerySet[Campaign]:
    """Running preview campaigns an agent may take customers from."""
    return Campaign.objects.filter(status=CampaignStatus.RUNNING, mode="preview").order_by("id")


def survey_results(group: str, start: datetime.datetime | None = None,
                   end: datetime.datetime | None = None) -> list[dict[str, Any]]:
    """Survey answers given in [start, end) (all of them without bounds) grouped by "agent", "queue" or
    "call": count and average score (per call: the score)."""
    answers = SurveyResult.objects.all()
    if start is not None:
        answers = answers.filter(at__gte=start)
    if end is not None:
        answers = answers.filter(at__lt=end)
    if group == "call":
        return [{"key": r.call_id, "agent": r.agent.username if r.agent else "", "queue": r.queue,
                 "answers": 1, "average": Decimal(r.score), "at": r.at}
                for r in answers.select_related("agent").order_by("-at")[:500]]
    field = "agent__username" if group == "agent" else "queue"
    return [{"key": r[field] or "", "answers": r["n"], "average": Decimal(str(round(r["avg"], 2)))}
            for r in answers.values(field).annotate(n=Count("id"), avg=Avg("score")).order_by(field)]
