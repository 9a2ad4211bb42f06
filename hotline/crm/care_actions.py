"""Every write of customer care: saved criteria, producing a list, greeting a list, greeting rules, care calls.

Greeting a list sends each customer one greeting on the channel the first matching `GreetingRule` names:
an SMS or an e-mail through the notification outbox (`queue_notification`), or a `CareTask` for an agent to
call. A customer who wants no notifications is skipped; an e-mail greeting for a customer without an
address goes by SMS. Each customer is greeted in a transaction of their own and marked greeted in it, so a
job that stops half way and runs again greets nobody twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.accounts.audit import record, snapshot, user_or_none
from hotline.accounts.permissions import Perm, require_perm
from hotline.crm.care import CareRow, care_rows
from hotline.crm.models import (
    CareCriteria,
    CareList,
    CareListEntry,
    CareTask,
    Channel,
    Customer,
    GreetChannel,
    GreetingRule,
)
from hotline.notify.actions import customer_message, queue_notification

Progress = Callable[[int, int], None]
DEFAULT_GREETING = gettext_lazy("%(salutation)s, happy birthday from all of us at the shopping hotline!")
DEFAULT_REGARDS = gettext_lazy("%(salutation)s, warm regards from all of us at the shopping hotline!")
GREETING_SUBJECT = gettext_lazy("Greetings from the shopping hotline")


def _nothing(done: int, total: int) -> None:
    """No progress to report (a list produced outside a job)."""


@transaction.atomic
def do_save_criteria(criteria: CareCriteria, *, actor: Any) -> CareCriteria:
    """Create or change saved care criteria, checked field by field."""
    require_perm(actor, Perm.MANAGE_CARE)
    before = snapshot(CareCriteria.objects.get(pk=criteria.pk)) if criteria.pk else None
    if criteria.min_spend is not None and criteria.max_spend is not None and criteria.min_spend > criteria.max_spend:
        raise ValidationError({"max_spend": _("The upper limit is below the lower one.")})
    criteria.name = criteria.name.strip()
    criteria.preference = criteria.preference.strip()
    criteria.province = criteria.province.strip()
    if criteria.pk is None:
        criteria.created_by = user_or_none(actor)
    criteria.full_clean()
    criteria.save()
    record("save_care_criteria", criteria, actor=actor, before=before, after=snapshot(criteria))
    return criteria


def collect_list(criteria: CareCriteria, *, actor: Any, progress: Progress = _nothing) -> list[CareRow]:
    """The customers a list from these criteria would have now (read only; see `do_produce_list`)."""
    require_perm(actor, Perm.MANAGE_CARE)
    return care_rows(criteria, progress=progress)


@transaction.atomic
def do_produce_list(criteria: CareCriteria, rows: list[CareRow], *, actor: Any, title: str = "") -> CareList:
    """Write a care list of `rows` (from `collect_list`) in one transaction: the list and its customers
    appear together or not at all. Criteria not saved (the birthday lists) leave the list without criteria."""
    require_perm(actor, Perm.MANAGE_CARE)
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    care_list = CareList.objects.create(title=(title or f"{criteria.name} · {stamp}")[:150],
                                        criteria=criteria if criteria.pk else None,
                                        produced_by=user_or_none(actor), size=len(rows))
    CareListEntry.objects.bulk_create([CareListEntry(care_list=care_list, customer=row.customer,
                                                     birthday_on=row.birthday_on) for row in rows], batch_size=500)
    record("produce_care_list", care_list, actor=actor, after={**snapshot(care_list), "size": len(rows)})
    return care_list


def greeting_for(customer: Customer, rules: list[GreetingRule], *, birthday: bool = True) -> tuple[str, str]:
    """(channel, words) for this customer: the first rule whose level and preference match, else an SMS
    with the default birthday greeting (or regards, on a list not about birthdays). {salutation} and {name}
    in a rule's message are the customer's."""
    for rule in rules:
        if rule.level and rule.level != customer.level:
            continue
        wanted = rule.preference.strip()
        if wanted and wanted not in _preferences(customer):
            continue
        return rule.channel, rule.message.replace("{salutation}", customer.salutation).replace("{name}", customer.name)
    default = DEFAULT_GREETING if birthday else DEFAULT_REGARDS
    return GreetChannel.SMS, customer_message(default, salutation=customer.salutation)


def _preferences(customer: Customer) -> set[str]:
    return {tag.strip() for tag in customer.preferences.replace("，", ",").split(",") if tag.strip()}


def _send(customer: Customer, channel: str, words: str, care_list: CareList) -> tuple[str, str]:
    """Greet one customer; (channel used, outcome)."""
    if channel == GreetChannel.CALL:
        CareTask.objects.create(customer=customer, care_list=care_list, script=words[:500])
        return channel, str(_("Call task created"))
    if customer.notify_channel == Channel.NONE:
        return "", str(_("Wants no messages"))
    if channel == GreetChannel.EMAIL and not customer.email:
        channel = GreetChannel.SMS
    # queue_notification sends on the customer's own channel; a greeting goes on the rule's (this copy only)
    customer.notify_channel = Channel.EMAIL if channel == GreetChannel.EMAIL else Channel.SMS
    subject = customer_message(GREETING_SUBJECT)
    queued = queue_notification(customer, subject, words, event="care_greeting",
                                params={"name": customer.salutation})
    if queued is None:
        return "", str(_("No phone number"))
    return channel, str(_("Message queued"))


def do_greet_list(care_list: CareList, *, actor: Any, progress: Progress = _nothing) -> dict[str, int]:
    """Greet every customer of the list not greeted yet; the count of greetings by channel ("" for skipped)."""
    require_perm(actor, Perm.MANAGE_CARE)
    rules = list(GreetingRule.objects.all())
    pending = list(care_list.entries.filter(greeted_at__isnull=True).values_list("pk", flat=True))
    counts: dict[str, int] = {}
    for done, pk in enumerate(pending, start=1):
        with transaction.atomic():
            entry = CareListEntry.objects.select_for_update().select_related("customer").get(pk=pk)
            if entry.greeted_at is None:
                greeting = greeting_for(entry.customer, rules, birthday=entry.birthday_on is not None)
                channel, outcome = _send(entry.customer, *greeting, care_list)
                entry.channel, entry.outcome, entry.greeted_at = channel, outcome[:100], timezone.now()
                entry.save(update_fields=["channel", "outcome", "greeted_at"])
                counts[channel] = counts.get(channel, 0) + 1
        progress(done, len(pending))
    with transaction.atomic():
        CareList.objects.filter(pk=care_list.pk).update(greeted_at=timezone.now())
        record("greet_care_list", care_list, actor=actor, after={"greeted": counts})
    return counts


@transaction.atomic
def do_save_greeting_rule(rule: GreetingRule, *, actor: Any) -> GreetingRule:
    """Add or change a greeting rule."""
    require_perm(actor, Perm.MANAGE_CARE)
    before = snapshot(GreetingRule.objects.get(pk=rule.pk)) if rule.pk else None
    rule.message, rule.preference = rule.message.strip(), rule.preference.strip()
    rule.full_clean()
    rule.save()
    record("save_greeting_rule", rule, actor=actor, before=before, after=snapshot(rule))
    return rule


@transaction.atomic
def do_delete_greeting_rule(rule: GreetingRule, *, actor: Any) -> None:
    """Remove a greeting rule."""
    require_perm(actor, Perm.MANAGE_CARE)
    record("delete_greeting_rule", rule, actor=actor, before=snapshot(rule))
    rule.delete()


@transaction.atomic
def do_finish_care_task(task: CareTask, *, actor: Any, note: str = "") -> CareTask:
    """Mark a care call made, with what came of it."""
    require_perm(actor, Perm.WORK_CARE_TASKS)
    if len(note) > 300:
        raise ValidationError({"outcome_note": _("At most %(max)d characters.") % {"max": 300}})
    task = CareTask.objects.select_for_update().get(pk=task.pk)
    if task.status == CareTask.Status.DONE:
        raise ValidationError(_("This call was made already."))
    before = snapshot(task)
    task.status, task.outcome_note = CareTask.Status.DONE, note.strip()
    task.done_at, task.done_by = timezone.now(), user_or_none(actor)
    task.save()
    record("finish_care_task", task, actor=actor, before=before, after=snapshot(task))
    return task
