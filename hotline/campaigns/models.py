"""Outbound campaigns (回访 / 外呼营销) and post-call satisfaction surveys.

A `Campaign` is built from a saved list of customers (`Source`: delivered some days ago, refused on
delivery, birthdays, dormant, buyers of a product), with a script, the agents' dispositions, a calling
window and retries. Loading the list makes one `Contact` per customer (blacklisted and opted-out numbers
left out); the engine dials progressive campaigns' contacts (hotline.calls.host.campaigns), agents work
preview ones from the desk. Every attempt is an `Attempt` row; results are counted from those rows.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

DEFAULT_DISPOSITIONS = "已下单\n满意\n不满意\n考虑中\n勿再来电"


class Source(models.TextChoices):
    """Which customers a campaign's list holds."""

    DELIVERED = "delivered", _("Delivered some days ago (satisfaction follow-up)")
    REFUSED = "refused", _("Refused on delivery (rescue)")
    BIRTHDAY = "birthday", _("Birthday within the next days")
    DORMANT = "dormant", _("Dormant (no order for some days)")
    PRODUCT = "product", _("Bought a product (new product offer)")


class Mode(models.TextChoices):
    PREVIEW = "preview", _("Preview (the agent sees the customer and dials)")
    PROGRESSIVE = "progressive", _("Progressive (the engine dials when an agent is free)")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    DONE = "done", _("Done")


class Campaign(models.Model):
    """An outbound campaign: its list's source, how it is dialled, what agents say and record."""

    name = models.CharField(_("name"), max_length=100)
    source = models.CharField(_("list"), max_length=12, choices=Source.choices)
    days = models.PositiveIntegerField(_("days"), default=7, validators=[MaxValueValidator(3650)],
                                       help_text=_("Delivered or refused this many days ago, birthdays within "
                                                   "this many days, or no order for this many days."))
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("product"))
    mode = models.CharField(_("dialing"), max_length=12, choices=Mode.choices, default=Mode.PREVIEW)
    status = models.CharField(_("status"), max_length=8, choices=CampaignStatus.choices,
                              default=CampaignStatus.DRAFT, db_index=True)
    queue = models.CharField(_("agents of queue"), max_length=64)
    script = models.TextField(_("script"), max_length=4000, blank=True)
    dispositions = models.TextField(_("dispositions"), max_length=1000, default=DEFAULT_DISPOSITIONS,
                                    help_text=_("One per line."))
    window_start = models.TimeField(_("calling from"), default=datetime.time(9))
    window_end = models.TimeField(_("calling until"), default=datetime.time(20))
    retry_minutes = models.PositiveIntegerField(_("retry after (minutes)"), default=60,
                                                validators=[MaxValueValidator(10080)])
    max_attempts = models.PositiveSmallIntegerField(_("attempts at most"), default=3,
                                                    validators=[MinValueValidator(1), MaxValueValidator(10)])
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    loaded_at = models.DateTimeField(_("list loaded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def disposition_list(self) -> list[str]:
        return [line.strip() for line in self.dispositions.splitlines() if line.strip()]


class ContactStatus(models.TextChoices):
    PENDING = "pending", _("To call")
    RESERVED = "reserved", _("Agent ringing")
    DIALLING = "dialling", _("Dialling")
    PREVIEWING = "previewing", _("With an agent (preview)")
    REACHED = "reached", _("Reached")
    GAVE_UP = "gave_up", _("Not reached")
    FAILED = "failed", _("Dial failed")
    NOT_DIALLED = "not_dialled", _("Not dialled (dial policy)")
    EXCLUDED = "excluded", _("Excluded (blacklist or opt-out)")


LIVE_STATUSES = frozenset({ContactStatus.PENDING, ContactStatus.RESERVED, ContactStatus.DIALLING,
                           ContactStatus.PREVIEWING})


class Contact(models.Model):
    """One customer of a campaign's list and where calling them stands."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="contacts",
                                 verbose_name=_("campaign"))
    customer = models.ForeignKey("crm.Customer", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("customer"))
    number = models.CharField(_("number"), max_length=20)
    status = models.CharField(_("status"), max_length=12, choices=ContactStatus.choices,
                              default=ContactStatus.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    last_result = models.CharField(_("last result"), max_length=12, blank=True)
    last_call_id = models.CharField(_("last call"), max_length=64, blank=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("agent"))
    disposition = models.CharField(_("disposition"), max_length=60, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    order = models.ForeignKey("orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("order"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("campaign contact")
        verbose_name_plural = _("campaign contacts")
        ordering = ["campaign", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="campaign_contact_once")]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.number}"


class Attempt(models.Model):
    """One change of a contact: a dial (attempt), its result, a disposition; append-only."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="attempt_rows",
                                verbose_name=_("contact"))
    kind = models.CharField(_("kind"), max_length=16)
    result = models.CharField(_("result"), max_length=12, blank=True)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=0)
    call_id = models.CharField(_("call"), max_length=64, blank=True, db_index=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("agent"))
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("campaign attempt")
        verbose_name_plural = _("campaign attempts")
        ordering = ["contact", "id"]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.kind} {self.result}"


class CallOptOut(models.Model):
    """A number that asked not to be called by campaigns again (勿再来电)."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("call opt-out")
        verbose_name_plural = _("call opt-outs")

    def __str__(self) -> str:
        return self.number


class SurveyConsent(models.Model):
    """The caller of a call agreed to the post-call survey (the agent's flag on the desk, or an IVR node)."""

    call_id = models.CharField(_("call"), max_length=64, unique=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("set by"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey consent")
        verbose_name_plural = _("survey consents")

    def __str__(self) -> str:
        return self.call_id


class SurveyResult(models.Model):
    """A caller's post-call survey score (1–5), against the call, its agent and queue."""

    call_id = models.CharField(_("call"), max_length=64, unique=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("agent"))
    queue = models.CharField(_("queue"), max_length=64, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("survey result")
        verbose_name_plural = _("survey results")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.call_id}: {self.score}"


class VoiceCallStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for the engine")
    RETRY = "retry", _("Retry later")
    PLAYED = "played", _("Played")
    INTERRUPTED = "interrupted", _("Hung up during the message")
    GAVE_UP = "gave_up", _("Not reached")
    FAILED = "failed", _("Dial failed")
    NOT_DIALLED = "not_dialled", _("Not dialled (dial policy)")


class VoiceCall(models.Model):
    """An automatic voice notification (自动语音播放): the engine calls `number` and plays `prompts` (the
    order number digit by digit, its status), retrying after no answer or busy."""

    notification = models.ForeignKey("notify.Notification", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("notification"))
    order = models.ForeignKey("orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("order"))
    number = models.CharField(_("number"), max_length=20)
    prompts = models.JSONField(_("phrases"), default=list)
    status = models.CharField(_("status"), max_length=12, choices=VoiceCallStatus.choices,
                              default=VoiceCallStatus.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("attempts at most"), default=3)
    retry_minutes = models.PositiveIntegerField(_("retry after (minutes)"), default=10)
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    last_result = models.CharField(_("last result"), max_length=12, blank=True)
    last_call_id = models.CharField(_("last call"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("voice notification")
        verbose_name_plural = _("voice notifications")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.number} {self.status}"
