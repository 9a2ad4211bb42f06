"""Every write of campaigns and surveys: create, load the list, start and pause; the engine's attempts and
results; the agent's preview dial and disposition; survey consent and answers.

Each action checks its permission (the engine and the system act as None), validates, and writes in one
transaction with an audit row. Bad input raises a translated ValidationError and changes nothing.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.audit import record, user_or_none
from hotline.accounts.models import User
from hotline.accounts.permissions import Perm, require_perm
from hotline.calls.models import CallRecord, Queue
from hotline.campaigns.lists import customers_of, excluded_numbers
from hotline.campaigns.models import (
    LIVE_STATUSES,
    Attempt,
    CallOptOut,
    Campaign,
    CampaignStatus,
    Contact,
    ContactStatus,
    Mode,
    Source,
    SurveyConsent,
    SurveyResult,
)
from hotline.orders.models import Order

DO_NOT_CALL = "勿再来电"  # the disposition that records an opt-out (its label in the default list)
PREVIEW_RESULTS = ("no_answer", "busy")  # what an agent may report of a preview dial that reached nobody


def do_create_campaign(*, name: str, source: str, mode: str, queue: str, days: int = 7, product: Any = None,
                       script: str = "", dispositions: str = "", window_start: datetime.time | None = None,
                       window_end: datetime.time | None = None, retry_minutes: int = 60, max_attempts: int = 3,
                       actor: Any) -> Campaign:
    """A new campaign in draft (its list is loaded next)."""
    require_perm(actor, Perm.MANAGE_CAMPAIGNS)
    campaign = Campaign(name=(name or "").strip(), source=source, mode=mode, queue=(queue or "").strip(),
                        days=days, product=product, script=script.strip(), retry_minutes=retry_minutes,
                        max_attempts=max_attempts, created_by=user_or_none(actor))
    if dispositions.strip():
        campaign.dispositions = dispositions.strip()
    if window_start is not None:
        campaign.window_start = window_start
    if window_end is not None:
        campaign.window_end = window_end
    _validate(campaign)
    with transaction.atomic():
        campaign.save()
        record("campaigns.create", campaign, actor=actor, after={"name": campaign.name, "source": source})
    return campaign


def _validate(campaign: Campaign) -> None:
    errors: dict[str, str] = {}
    if not campaign.name:
        errors["name"] = _("Give the campaign a name.")
    if campaign.source not in Source.values:
        errors["source"] = _("Choose the list the campaign calls.")
    if campaign.mode not in Mode.values:
        errors["mode"] = _("Choose how the campaign is dialled.")
    if not Queue.objects.filter(name=campaign.queue).exists():
        errors["queue"] = _("Choose the queue whose agents make the calls.")
    if campaign.source == Source.PRODUCT and campaign.product is None:
        errors["product"] = _("Choose the product whose buyers are called.")
    if campaign.window_start >= campaign.window_end:
        errors["window_end"] = _("The calling window must end after it starts.")
    if not 1 <= campaign.max_attempts <= 10:
        errors["max_attempts"] = _("Between 1 and 10 attempts.")
    if not campaign.disposition_list:
        errors["dispositions"] = _("Give at least one disposition.")
    if errors:
        raise ValidationError(errors)
    campaign.full_clean(exclude=["product", "created_by"])


def do_load_list(campaign: Campaign, *, actor: Any, today: datetime.date | None = None) -> int:
    """Make a contact of every customer the campaign's source selects and who is not yet on it; numbers
    on the blacklist or opted out are kept as excluded (so the list says why they are not called).
    Returns how many contacts were added."""
    require_perm(actor, Perm.MANAGE_CAMPAIGNS)
    if campaign.status == CampaignStatus.DONE:
        raise ValidationError({"status": _("This campaign is over.")})
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        known = set(campaign.contacts.values_list("customer_id", flat=True))
        new = [(c, c.primary_phone()) for c in customers_of(campaign, today) if c.pk not in known]
        new = [(customer, number) for customer, number in new if number]
        excluded = excluded_numbers(number for _c, number in new)
        Contact.objects.bulk_create([
            Contact(campaign=campaign, customer=customer, number=number,
                    status=ContactStatus.EXCLUDED if number in excluded else ContactStatus.PENDING)
            for customer, number in new])
        campaign.loaded_at = timezone.now()
        campaign.save(update_fields=["loaded_at"])
        record("campaigns.load_list", campaign, actor=actor, after={"added": len(new), "excluded": len(excluded)})
    return len(new)


def do_set_campaign_status(campaign: Campaign, status: str, *, actor: Any) -> Campaign:
    """Start (or resume), pause or finish a campaign; a campaign without contacts cannot start."""
    require_perm(actor, Perm.MANAGE_CAMPAIGNS)
    if status not in (CampaignStatus.RUNNING, CampaignStatus.PAUSED, CampaignStatus.DONE):
        raise ValidationError({"status": _("Choose start, pause or finish.")})
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status == CampaignStatus.DONE:
            raise ValidationError({"status": _("This campaign is over.")})
        if status == CampaignStatus.RUNNING and not campaign.contacts.exists():
            raise ValidationError({"status": _("Load the list before starting the campaign.")})
        before = campaign.status
        campaign.status = status
        campaign.save(update_fields=["status"])
        record("campaigns.status", campaign, actor=actor, before={"status": before}, after={"status": status})
    return campaign


# -- the engine's writes (progressive campaigns) ---------------------------------------------------------


def do_record_contact_change(contact_id: int, *, kind: str, status: str, attempts: int, at: datetime.datetime,
                             agent: str = "", result: str = "", not_before: datetime.datetime | None = None,
                             call_id: str = "", detail: str = "", actor: Any = None) -> None:
    """The engine's change of a contact (reserved, dialled, reached, retry, gave up …): saved, and appended
    as an attempt row. A contact deleted meanwhile is ignored."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().filter(pk=contact_id).first()
        if contact is None:
            return
        user = User.objects.filter(username=agent).first() if agent else None
        contact.status, contact.attempts, contact.not_before = status, attempts, not_before
        contact.last_result = result or contact.last_result
        contact.last_call_id = call_id or contact.last_call_id
        if user is not None:
            contact.agent = user
        contact.save()
        Attempt.objects.create(contact=contact, kind=kind, result=result, attempt=attempts, call_id=call_id,
                               agent=user, detail=detail[:200], at=at)


# -- the agent's side (preview dialing, dispositions) ----------------------------------------------------


def do_take_preview(campaign: Campaign, *, actor: Any) -> Contact | None:
    """The next contact of a running preview campaign for this agent (kept for them until disposed):
    their own unfinished one first, else the next due one. None when nothing is due now."""
    require_perm(actor, Perm.WORK_CAMPAIGNS)
    campaign = Campaign.objects.get(pk=campaign.pk)  # its status now, not the caller's copy's
    if campaign.mode != Mode.PREVIEW or campaign.status != CampaignStatus.RUNNING:
        raise ValidationError({"campaign": _("This campaign is not running in preview.")})
    now = timezone.now()
    local = timezone.localtime(now).time()
    if not campaign.window_start <= local < campaign.window_end:
        raise ValidationError({"campaign": _("Outside the campaign's calling window.")})
    with transaction.atomic():
        mine = campaign.contacts.filter(status=ContactStatus.PREVIEWING, agent=actor).first()
        if mine is not None:
            return mine
        due = (campaign.contacts.select_for_update(skip_locked=True).filter(status=ContactStatus.PENDING)
               .exclude(not_before__gt=now).order_by("not_before", "id").first())
        if due is None:
            return None
        if due.number in excluded_numbers([due.number]):
            due.status = ContactStatus.EXCLUDED
            due.save(update_fields=["status", "updated_at"])
            return None
        due.status, due.agent = ContactStatus.PREVIEWING, actor
        due.save(update_fields=["status", "agent", "updated_at"])
    return due


def do_preview_dialled(contact: Contact, call_id: str, *, actor: Any) -> Contact:
    """The agent dialled the previewed customer (click-to-dial): one attempt more, on that call."""
    require_perm(actor, Perm.WORK_CAMPAIGNS)
    with transaction.atomic():
        contact = _mine(contact, actor)
        contact.attempts += 1
        contact.last_call_id = call_id
        contact.save(update_fields=["attempts", "last_call_id", "updated_at"])
        Attempt.objects.create(contact=contact, kind="dialled", attempt=contact.attempts, call_id=call_id,
                               agent=actor, at=timezone.now())
    return contact


def do_dispose_contact(contact: Contact, disposition: str, *, note: str = "", actor: Any) -> Contact:
    """Record how the call went: a disposition of the campaign's list (reached), or for a preview dial
    "no_answer"/"busy" (retried after the campaign's interval, until its attempts are used up). "勿再来电"
    records an opt-out. The customer's order taken on this call (same call id) is linked to the contact."""
    require_perm(actor, Perm.WORK_CAMPAIGNS)
    with transaction.atomic():
        contact = Contact.objects.select_for_update().select_related("campaign").get(pk=contact.pk)
        campaign = contact.campaign
        if contact.status not in (ContactStatus.PREVIEWING, ContactStatus.REACHED) or contact.agent_id != actor.pk:
            raise ValidationError({"disposition": _("This customer is not yours to record.")})
        if disposition in PREVIEW_RESULTS:
            _retry_or_give_up(contact, disposition)
        elif disposition in campaign.disposition_list:
            contact.status, contact.disposition, contact.note = ContactStatus.REACHED, disposition, note.strip()[:300]
            contact.order = _order_on(contact)
            if disposition == DO_NOT_CALL:
                CallOptOut.objects.get_or_create(number=contact.number)
        else:
            raise ValidationError({"disposition": _("Choose one of the campaign's dispositions.")})
        contact.save()
        Attempt.objects.create(contact=contact, kind="disposed", result=disposition[:12], attempt=contact.attempts,
                               call_id=contact.last_call_id, agent=actor, detail=disposition, at=timezone.now())
        record("campaigns.dispose", contact, actor=actor, after={"disposition": disposition})
    return contact


def _mine(contact: Contact, actor: Any) -> Contact:
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.status != ContactStatus.PREVIEWING or contact.agent_id != actor.pk:
        raise ValidationError({"contact": _("This customer is not yours to call.")})
    return contact


def _retry_or_give_up(contact: Contact, result: str) -> None:
    campaign = contact.campaign
    contact.last_result = result
    if contact.attempts < 1:
        raise ValidationError({"disposition": _("Dial the customer first.")})
    if contact.attempts >= campaign.max_attempts:
        contact.status = ContactStatus.GAVE_UP
    else:
        contact.status, contact.agent = ContactStatus.PENDING, None
        contact.not_before = timezone.now() + datetime.timedelta(minutes=campaign.retry_minutes)


def _order_on(contact: Contact) -> Order | None:
    if not contact.last_call_id:
        return None
    return Order.objects.filter(call_id=contact.last_call_id, customer=contact.customer_id).order_by("-id").first()


def live_statuses() -> frozenset[str]:
    return frozenset(str(status) for status in LIVE_STATUSES)


# -- the survey -----------------------------------------------------------------------------------------


def do_set_survey_consent(call_id: str, *, actor: Any) -> SurveyConsent:
    """The caller agreed to the post-call survey: when the agent hangs up, the engine asks it."""
    require_perm(actor, Perm.WORK_CAMPAIGNS)
    call_id = (call_id or "").strip()
    if not call_id:
        raise ValidationError({"call_id": _("There is no call to ask the survey on.")})
    # An agent flags only their own caller (the score is stored against the call's agent); a call the engine has
    # not written yet is taken as the agent says.
    owner = CallRecord.objects.filter(call_id=call_id).values_list("agent_key", flat=True).first()
    if owner and owner != getattr(actor, "username", None) and not actor.has_perm(Perm.SUPERVISE_CALLS):
        raise ValidationError({"call_id": _("This call is not yours.")})
    with transaction.atomic():
        consent, _created = SurveyConsent.objects.get_or_create(call_id=call_id,
                                                                defaults={"set_by": user_or_none(actor)})
    return consent


def do_record_survey(call_id: str, *, agent: str, queue: str, score: int, at: datetime.datetime,
                     actor: Any = None) -> SurveyResult | None:
    """The engine's survey answer: stored once per call against the call, its agent and queue."""
    if not 1 <= score <= 5:
        raise ValidationError({"score": _("A score is between 1 and 5.")})
    with transaction.atomic():
        result, _created = SurveyResult.objects.get_or_create(call_id=call_id, defaults={
            "agent": User.objects.filter(username=agent).first() if agent else None, "queue": queue,
            "score": score, "at": at})
    return result
