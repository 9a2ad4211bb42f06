"""Customer service at the desk: scripts (话术), complaints (投诉), after-call notes (小结) and the
messages agents and supervisors send each other. Written only by `hotline.service.actions`."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.lib.text import check_text_lengths


class Script(models.Model):
    """What an agent says, with merge fields (`{greeting}`, `{product}`, …) filled in at the desk
    (`hotline.service.queries.render_script`).

    A script is for one product, for one hotline number, or general (neither); the desk shows the
    product's scripts first, then the dialled number's, then the general ones."""

    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"), max_length=4000,
                            help_text=_("Merge fields: {greeting} (Hello, Mr Wang / Hello), {salutation} "
                                        "(Mr Wang / you), {salutation_lead} (“Mr Wang, ” / nothing), "
                                        "{salutation_tail} (“, Mr Wang” / nothing), {name} {surname} {product} "
                                        "{price} {hotline} {agent}"))
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="scripts", verbose_name=_("product"))
    hotline_number = models.ForeignKey("media.HotlineNumber", on_delete=models.CASCADE, null=True, blank=True,
                                       related_name="scripts", verbose_name=_("hotline number"))
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("script")
        verbose_name_plural = _("scripts")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        check_text_lengths(self)


class ComplaintCategory(models.TextChoices):
    """The categories a new installation starts with (seeded as `Category` rows by migration 0003); the
    company edits, adds and retires categories in the back office."""

    PRODUCT_QUALITY = "product_quality", _("Product quality")
    DELIVERY = "delivery", _("Delivery")
    SERVICE = "service", _("Service")
    BILLING = "billing", _("Billing")
    OTHER = "other", _("Other")


class Department(models.Model):
    """A department of the company that complaints are passed to (受理部门): logistics, quality, finance…"""

    name = models.CharField(_("name"), max_length=60, unique=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A company-defined complaint category (投诉类别): its SLA (hours from opening to the due time) and the
    department that usually handles it. `code` is the stable key the API and the reports use."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    sla_hours = models.PositiveIntegerField(_("SLA hours"), default=48,
                                            help_text=_("Hours from opening to the time it is due."))
    department = models.ForeignKey(Department, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="categories", verbose_name=_("department"))
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("complaint category")
        verbose_name_plural = _("complaint categories")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")


class Complaint(models.Model):
    """A customer's complaint, from opening (desk, back office or API) to its resolution and the customer's
    confirmation; every step is a `ComplaintEvent`. `due_at` comes from the category's SLA; an unclosed
    complaint past it is escalated to the supervisors once (`escalated_at`)."""

    customer = models.ForeignKey("crm.Customer", on_delete=models.PROTECT, related_name="complaints",
                                 verbose_name=_("customer"))
    order = models.ForeignKey("orders.Order", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="complaints", verbose_name=_("order"))
    call_id = models.CharField(_("call id"), max_length=64, blank=True)
    # Keyed by the code, in the column that held the fixed codes before categories became data.
    category = models.ForeignKey(Category, on_delete=models.PROTECT, to_field="code", db_column="category",
                                 default=ComplaintCategory.OTHER, related_name="complaints",
                                 verbose_name=_("category"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="complaints", verbose_name=_("department"))
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("owner"))
    summary = models.TextField(_("summary"), max_length=2000)
    status = models.CharField(_("status"), max_length=12, choices=ComplaintStatus.choices,
                              default=ComplaintStatus.OPEN, db_index=True)
    resolution = models.TextField(_("resolution"), max_length=2000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("opened by"))
    created_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, db_index=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed by the customer at"), null=True, blank=True)
    reopened = models.PositiveIntegerField(_("times reopened"), default=0)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.customer}"

    def clean(self) -> None:
        check_text_lengths(self)

    def is_overdue(self, now: datetime.datetime | None = None) -> bool:
        """Not closed and past its due time."""
        moment = now or timezone.now()
        return self.status != ComplaintStatus.CLOSED and self.due_at is not None and self.due_at <= moment


class EventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    ASSIGNED = "assigned", _("Assigned")
    TAKEN = "taken", _("Taken in hand")
    NOTE = "note", _("Internal note")
    CONTACT = "contact", _("Customer contact attempt")
    ESCALATED = "escalated", _("Escalated to the supervisors")
    CLOSED = "closed", _("Resolved and closed")
    CONFIRMED = "confirmed", _("Confirmed by the customer")
    REOPENED = "reopened", _("Reopened")


class ContactOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    LEFT_MESSAGE = "left_message", _("Left a message")
    WRONG_NUMBER = "wrong_number", _("Wrong number")


class ComplaintEvent(models.Model):
    """One step in a complaint's life (who, when, what): opened, assigned, a note, a contact attempt,
    escalated, resolved, confirmed, reopened. Internal: never shown to the customer."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events",
                                  verbose_name=_("complaint"))
    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    text = models.TextField(_("text"), max_length=2000, blank=True)
    outcome = models.CharField(_("outcome"), max_length=14, choices=ContactOutcome.choices, blank=True)

    class Meta:
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.get_kind_display()}"

    def clean(self) -> None:
        check_text_lengths(self)


class Disposition(models.TextChoices):
    """How a call ended from the agent's point of view (the wrap-up form)."""

    ORDER_PLACED = "order_placed", _("Order placed")
    ENQUIRY = "enquiry", _("Enquiry")
    COMPLAINT = "complaint", _("Complaint")
    CALLBACK_REQUESTED = "callback_requested", _("Callback requested")
    NO_SALE = "no_sale", _("No sale")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    OTHER = "other", _("Other")


class CallNote(models.Model):
    """An agent's after-call summary (小结) of one call; one per call and agent, corrected by saving again."""

    call_id = models.CharField(_("call id"), max_length=64)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                              verbose_name=_("agent"))
    customer = models.ForeignKey("crm.Customer", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="call_notes", verbose_name=_("customer"))
    disposition = models.CharField(_("disposition"), max_length=20, choices=Disposition.choices)
    notes = models.TextField(_("notes"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("call note")
        verbose_name_plural = _("call notes")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["call_id", "agent"], name="callnote_unique_per_agent")]

    def __str__(self) -> str:
        return f"{self.call_id} {self.get_disposition_display()}"

    def clean(self) -> None:
        check_text_lengths(self)


class MessageKind(models.TextChoices):
    MESSAGE = "message", _("Message")
    QUESTION = "question", _("Question")


class Message(models.Model):
    """A message to one user or to all supervisors; a question ("ask my supervisor") waits for an answer,
    which is a message to the asker with `reply_to` set."""

    # No sender: the system wrote it (an overdue complaint's escalation).
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="+", verbose_name=_("sender"))
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="+", verbose_name=_("recipient"))
    to_supervisors = models.BooleanField(_("to supervisors"), default=False)
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    body = models.TextField(_("message"), max_length=1000)
    call_id = models.CharField(_("call id"), max_length=64, blank=True)
    reply_to = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies",
                                 verbose_name=_("reply to"))
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.body[:50]

    def clean(self) -> None:
        check_text_lengths(self)


class Notice(models.Model):
    """A notice on the floor's bulletin board (公告板): posted by a supervisor, shown on every desk until it
    expires or is withdrawn."""

    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"), max_length=2000, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("posted by"))
    posted_at = models.DateTimeField(_("posted at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-posted_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        check_text_lengths(self)
