"""Customer care on the task worker: producing and greeting care lists as jobs (with progress), and the
periodic work: care criteria produced on their schedule, and points lapsing after the expiry period.
Imported from `CrmConfig.ready()`, so the web app and the worker know the same job kinds."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.accounts.permissions import Perm
from hotline.crm.care import birthday_criteria
from hotline.crm.care_actions import collect_list, do_greet_list, do_produce_list
from hotline.crm.models import Birthdays, CareCriteria, CareList
from hotline.crm.points import earn_per_yuan, expire_points, expiry_months, points_per_yuan
from hotline.jobs import periodic
from hotline.jobs.actions import run_job
from hotline.jobs.models import Job
from hotline.jobs.registry import register
from hotline.jobs.runner import JobContext

PRODUCE = "crm.care_produce"
GREET = "crm.care_greet"
BIRTHDAY_KINDS = (Birthdays.TODAY, Birthdays.WEEK, Birthdays.MONTH)


def _criteria(payload: dict[str, Any]) -> CareCriteria:
    if payload.get("birthdays") in BIRTHDAY_KINDS:
        return birthday_criteria(payload["birthdays"])
    return CareCriteria.objects.get(pk=payload["criteria_id"])


@register(PRODUCE, label=gettext_lazy("Producing a care list"), permission=Perm.MANAGE_CARE,
          back_url=lambda payload: reverse("care:index"))
def produce(ctx: JobContext) -> dict[str, Any]:
    """Find the customers (progress: customers scanned), then write the list in the job's transaction."""
    criteria = _criteria(ctx.payload)
    rows = collect_list(criteria, actor=ctx.actor, progress=ctx.progress)
    with ctx.atomic():
        care_list = do_produce_list(criteria, rows, actor=ctx.actor)
        ctx.finish({"summary": _("%(title)s: %(count)d customers.") % {"title": care_list.title, "count": len(rows)},
                    "list_id": care_list.pk})
    return {}


@register(GREET, label=gettext_lazy("Greeting a care list"), permission=Perm.MANAGE_CARE,
          back_url=lambda payload: reverse("care:list", args=[payload["list_id"]]))
def greet(ctx: JobContext) -> dict[str, Any]:
    """Greet the list's customers one by one (progress: customers greeted); a rerun skips the greeted."""
    care_list = CareList.objects.get(pk=ctx.payload["list_id"])
    counts = do_greet_list(care_list, actor=ctx.actor, progress=ctx.progress)
    greeted = sum(count for channel, count in counts.items() if channel)
    return {"summary": _("%(count)d customers greeted.") % {"count": greeted}, "channels": counts}


def start_produce(*, actor: Any, criteria: CareCriteria | None = None, birthdays: str = "") -> Job:
    """Queue the production of a list from saved criteria or a birthday window."""
    payload: dict[str, Any] = {"birthdays": birthdays} if birthdays else {"criteria_id": getattr(criteria, "pk", None)}
    return run_job(PRODUCE, actor=actor, payload=payload)


def start_greeting(care_list: CareList, *, actor: Any) -> Job:
    """Queue greeting every customer of the list."""
    return run_job(GREET, actor=actor, payload={"list_id": care_list.pk})


def _due(schedule: str, day: datetime.date) -> bool:
    return (schedule == "daily" or (schedule == "weekly" and day.weekday() == 0)
            or (schedule == "monthly" and day.day == 1))


def produce_scheduled(now: datetime.datetime) -> int:
    """Queue the lists whose schedule falls today, once a day each: the day is claimed by an update, so two
    workers never both produce it. Returns how many were queued."""
    day = timezone.localtime(now).date()
    queued = 0
    for criteria in CareCriteria.objects.exclude(schedule="").only("pk", "schedule"):
        if not _due(criteria.schedule, day):
            continue
        claimed = CareCriteria.objects.filter(Q(last_produced_on__isnull=True) | Q(last_produced_on__lt=day),
                                              pk=criteria.pk).update(last_produced_on=day)
        if claimed:
            start_produce(actor=None, criteria=criteria)
            queued += 1
    return queued


def expire_due_points(now: datetime.datetime) -> int:
    return expire_points(now)


periodic.register("crm.care_scheduled_lists", produce_scheduled)
periodic.register("crm.points_expiry", expire_due_points)
# Read the points settings once at start-up, so that a value that cannot be parsed stops the start with its name.
earn_per_yuan(), points_per_yuan(), expiry_months()
