"""Every write of a complaint's life: open, assign, take, note, contact attempt, close with a resolution,
the customer's confirmation, reopen, escalation when overdue; and the company's categories and departments.

Each action checks its permission, validates, writes in one transaction with an audit row and a
`ComplaintEvent` (the history the detail page shows). `hotline.service.actions` re-exports them.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.audit import record, snapshot, user_or_none
from hotline.accounts.models import User
from hotline.accounts.permissions import Perm
from hotline.crm.models import Customer
from hotline.orders.models import Order
from hotline.service.messaging import send_system_message
from hotline.service.models import (
    Category,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintStatus,
    ContactOutcome,
    Department,
    EventKind,
    Priority,
)


def _require(actor: Any, perm: Perm) -> None:
    if actor is None or not actor.has_perm(perm):
        raise PermissionDenied(_("You do not have permission to do this."))


def _text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _category(value: Category | str | None) -> Category:
    """The category asked for (a row or its code), active; "other" when none is given. Every complaint's
    category defaults to "other" in the database, so that row is made again if it is missing (the migration
    seeds it, but a flushed or hand-emptied table must not stop an agent from opening a complaint)."""
    if value is None or value == "":
        return _other_category()
    code = value.code if isinstance(value, Category) else value
    found = Category.objects.filter(code=str(code).strip(), active=True).select_related("department").first()
    if found is None:
        raise ValidationError({"category": _("Choose one of the complaint categories.")})
    return found


def _other_category() -> Category:
    found, _created = Category.objects.select_related("department").get_or_create(
        code=ComplaintCategory.OTHER, defaults={"name": "其他", "sla_hours": 72})
    return found


def _priority(value: str) -> str:
    if value not in Priority.values:
        raise ValidationError({"priority": _("Choose a priority.")})
    return value


def _event(complaint: Complaint, kind: str, actor: Any, text: str = "", outcome: str = "",
           at: datetime.datetime | None = None) -> ComplaintEvent:
    event = ComplaintEvent(complaint=complaint, kind=kind, actor=user_or_none(actor), at=at or timezone.now(),
                           text=text, outcome=outcome)
    event.full_clean()
    event.save()
    return event


def _locked(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().get(pk=complaint.pk)


def _save(complaint: Complaint, action: str, actor: Any, before: dict[str, Any], fields: list[str]) -> None:
    complaint.full_clean()
    complaint.save(update_fields=fields)
    record(action, complaint, actor=actor, before=before, after=snapshot(complaint))


@transaction.atomic
def do_open_complaint(customer: Customer, summary: str, *, actor: Any, category: Category | str | None = None,
                      order: Order | None = None, call_id: str = "", priority: str = Priority.NORMAL,
                      department: Department | None = None) -> Complaint:
    """Open a complaint for a customer, optionally about one of their orders and from a call. It is due the
    category's SLA hours from now and goes to the category's department unless another is given."""
    _require(actor, Perm.OPEN_COMPLAINT)
    summary = _text(summary, "summary", _("Describe the complaint."))
    found = _category(category)
    priority = _priority(priority)
    if order is not None and order.customer_id != customer.pk:
        raise ValidationError({"order": _("This order belongs to another customer.")})
    complaint = Complaint(customer=customer, order=order, call_id=(call_id or "").strip(), category=found,
                          summary=summary, priority=priority, department=department or found.department,
                          created_by=user_or_none(actor))
    complaint.full_clean()
    complaint.save()
    # Due exactly the SLA after the opening time, which the database row holds only once saved.
    complaint.due_at = complaint.created_at + datetime.timedelta(hours=found.sla_hours)
    complaint.save(update_fields=["due_at"])
    _event(complaint, EventKind.OPENED, actor, summary)
    record("open_complaint", complaint, actor=actor, after=snapshot(complaint))
    return complaint


@transaction.atomic
def do_assign_complaint(complaint: Complaint, *, actor: Any, owner: User | None = None,
                        department: Department | None = None, priority: str | None = None) -> Complaint:
    """Pass a complaint to an owner and/or a department (受理部门), or change its priority."""
    _require(actor, Perm.HANDLE_COMPLAINT)
    complaint = _locked(complaint)
    if complaint.status == ComplaintStatus.CLOSED:
        raise ValidationError(_("This complaint is closed; reopen it first."))
    if owner is not None and (not owner.is_active or not owner.has_perm(Perm.HANDLE_COMPLAINT)):
        raise ValidationError({"owner": _("Choose someone who handles complaints.")})
    if department is not None and not department.active:
        raise ValidationError({"department": _("Choose an active department.")})
    before = snapshot(complaint)
    complaint.owner = owner or complaint.owner
    complaint.department = department or complaint.department
    complaint.priority = _priority(priority) if priority else complaint.priority
    parts = [str(p) for p in (complaint.owner and _user_name(complaint.owner), complaint.department,
                               complaint.get_priority_display()) if p]
    _save(complaint, "assign_complaint", actor, before, ["owner", "department", "priority"])
    _event(complaint, EventKind.ASSIGNED, actor, " · ".join(parts))
    return complaint


def _user_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


@transaction.atomic
def do_take_complaint(complaint: Complaint, *, actor: Any) -> Complaint:
    """Take an open complaint in hand: the actor becomes its owner and it is in progress."""
    _require(actor, Perm.HANDLE_COMPLAINT)
    complaint = _locked(complaint)
    if complaint.status != ComplaintStatus.OPEN:
        raise ValidationError(_("Only an open complaint can be taken in hand."))
    before = snapshot(complaint)
    complaint.status, complaint.owner = ComplaintStatus.IN_PROGRESS, user_or_none(actor) or complaint.owner
    _save(complaint, "take_complaint", actor, before, ["status", "owner"])
    _event(complaint, EventKind.TAKEN, actor)
    return complaint


@transaction.atomic
def do_add_complaint_note(complaint: Complaint, text: str, *, actor: Any) -> ComplaintEvent:
    """An internal note on a complaint (never shown to the customer)."""
    _require(actor, Perm.HANDLE_COMPLAINT)
    text = _text(text, "text", _("Write the note."))
    complaint = _locked(complaint)
    event = _event(complaint, EventKind.NOTE, actor, text)
    record("note_complaint", complaint, actor=actor, after={"note": text})
    return event


@transaction.atomic
def do_record_contact(complaint: Complaint, outcome: str, text: str = "", *, actor: Any) -> ComplaintEvent:
    """One attempt to reach the customer about the complaint, with how it went."""
    _require(actor, Perm.HANDLE_COMPLAINT)
    if outcome not in ContactOutcome.values:
        raise ValidationError({"outcome": _("Say how the contact attempt went.")})
    complaint = _locked(complaint)
    event = _event(complaint, EventKind.CONTACT, actor, (text or "").strip(), outcome)
    record("contact_complaint", complaint, actor=actor, after={"outcome": outcome, "text": event.text})
    return event


@transaction.atomic
def do_close_complaint(complaint: Complaint, resolution: str, *, actor: Any) -> Complaint:
    """Close a complaint with what was done about it (required); the customer's confirmation follows."""
    _require(actor, Perm.HANDLE_COMPLAINT)
    resolution = _text(resolution, "resolution", _("Say how the complaint was resolved."))
    complaint = _locked(complaint)
    if complaint.status == ComplaintStatus.CLOSED:
        raise ValidationError(_("This complaint is already closed."))
    before = snapshot(complaint)
    complaint.status, complaint.resolution, complaint.closed_at = ComplaintStatus.CLOSED, resolution, timezone.now()
    _save(complaint, "close_complaint", actor, before, ["status", "resolution", "closed_at"])
    _event(complaint, EventKind.CLOSED, actor, resolution)
    return complaint


@transaction.atomic
def do_confirm_resolution(complaint: Complaint, text: str = "", *, actor: Any) -> Complaint:
    """The customer confirms the resolution (asked on a follow-up call): the complaint is done for good.
    A customer who is not satisfied gets `do_reopen_complaint` instead."""
    _require(actor, Perm.HANDLE_COMPLAINT)
    complaint = _locked(complaint)
    if complaint.status != ComplaintStatus.CLOSED:
        raise ValidationError(_("Only a resolved complaint can be confirmed."))
    if complaint.confirmed_at is not None:
        raise ValidationError(_("The customer has already confirmed this resolution."))
    before = snapshot(complaint)
    complaint.confirmed_at = timezone.now()
    _save(complaint, "confirm_complaint", actor, before, ["confirmed_at"])
    _event(complaint, EventKind.CONFIRMED, actor, (text or "").strip())
    return complaint


@transaction.atomic
def do_reopen_complaint(complaint: Complaint, reason: str, *, actor: Any) -> Complaint:
    """Reopen a closed complaint (the customer is not satisfied, or it came back): open again, due again the
    category's SLA hours from now, and escalated again if that passes."""
    _require(actor, Perm.HANDLE_COMPLAINT)
    reason = _text(reason, "reason", _("Say why the complaint is reopened."))
    complaint = _locked(complaint)
    if complaint.status != ComplaintStatus.CLOSED:
        raise ValidationError(_("Only a closed complaint can be reopened."))
    before = snapshot(complaint)
    now = timezone.now()
    complaint.status = ComplaintStatus.IN_PROGRESS if complaint.owner_id else ComplaintStatus.OPEN
    complaint.closed_at = complaint.confirmed_at = complaint.escalated_at = None
    complaint.due_at = now + datetime.timedelta(hours=complaint.category.sla_hours)
    complaint.reopened += 1
    _save(complaint, "reopen_complaint", actor, before,
          ["status", "closed_at", "confirmed_at", "escalated_at", "due_at", "reopened"])
    _event(complaint, EventKind.REOPENED, actor, reason)
    return complaint


@transaction.atomic
def do_escalate_complaint(complaint: Complaint, *, now: datetime.datetime | None = None) -> bool:
    """The system escalates an overdue complaint: a message to the supervisors, once. False when it is not
    (or no longer) due for escalation, so two workers never both send."""
    moment = now or timezone.now()
    complaint = _locked(complaint)
    if complaint.escalated_at is not None or not complaint.is_overdue(moment):
        return False
    before = snapshot(complaint)
    complaint.escalated_at = moment
    _save(complaint, "escalate_complaint", None, before, ["escalated_at"])
    owner = _user_name(complaint.owner) if complaint.owner else _("nobody")
    text = _("Complaint #%(id)s (%(category)s, %(customer)s) was due at %(due)s and is not closed; owner: "
             "%(owner)s.") % {"id": complaint.pk, "category": complaint.category.name,
                              "customer": complaint.customer.name,
                              "due": timezone.localtime(complaint.due_at).strftime("%Y-%m-%d %H:%M"),
                              "owner": owner}
    _event(complaint, EventKind.ESCALATED, None, text, at=moment)
    send_system_message(text, call_id=complaint.call_id)
    return True


def escalate_overdue(now: datetime.datetime) -> int:
    """The periodic function (every minute on the worker): escalate each overdue complaint once."""
    due = Complaint.objects.exclude(status=ComplaintStatus.CLOSED).filter(
        escalated_at__isnull=True, due_at__lte=now).order_by("due_at", "id")
    return sum(do_escalate_complaint(complaint, now=now) for complaint in due)


# ----------------------------------------------------------------- the company's categories and departments


@transaction.atomic
def do_save_category(category: Category | None, *, actor: Any, code: str, name: str, sla_hours: Any,
                     department: Department | None = None, active: bool = True, position: int = 0) -> Category:
    """Create or change a complaint category (supervisors and admins). Its code cannot change once used."""
    _require(actor, Perm.MANAGE_COMPLAINT_SETUP)
    row = Category.objects.select_for_update().get(pk=category.pk) if category else Category()
    before = snapshot(row) if category else None
    code = (code or "").strip()
    if category is not None and code != row.code and row.complaints.exists():
        raise ValidationError({"code": _("Complaints use this code; it cannot change.")})
    try:
        hours = int(sla_hours)
    except (TypeError, ValueError):
        raise ValidationError({"sla_hours": _("Give the SLA in whole hours.")}) from None
    if not 1 <= hours <= 24 * 90:
        raise ValidationError({"sla_hours": _("The SLA is between 1 and 2160 hours.")})
    row.code, row.name, row.sla_hours = code, (name or "").strip(), hours
    row.department, row.active, row.position = department, bool(active), position
    row.full_clean()
    row.save()
    record("save_complaint_category", row, actor=actor, before=before, after=snapshot(row))
    return row


@transaction.atomic
def do_save_department(department: Department | None, *, actor: Any, name: str, active: bool = True,
                       position: int = 0) -> Department:
    """Create or change a department complaints are passed to (supervisors and admins)."""
    _require(actor, Perm.MANAGE_COMPLAINT_SETUP)
    row = Department.objects.select_for_update().get(pk=department.pk) if department else Department()
    before = snapshot(row) if department else None
    row.name, row.active, row.position = (name or "").strip(), bool(active), position
    row.full_clean()
    row.save()
    record("save_department", row, actor=actor, before=before, after=snapshot(row))
    return row
