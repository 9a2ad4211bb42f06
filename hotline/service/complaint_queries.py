"""Reads of complaints for the back office and the API: the filtered list and one complaint with its
history. Access is checked here (`Perm.VIEW_COMPLAINT`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.permissions import Perm
from hotline.service.models import Category, Complaint, ComplaintStatus, Department


@dataclass(frozen=True)
class ComplaintFilter:
    """What the list is narrowed by; empty means any. `overdue` keeps the unclosed complaints past due."""

    status: str = ""
    category: str = ""
    department: int | None = None
    owner: str = ""
    overdue: bool = False
    customer: int | None = None


def can_view(user: Any) -> None:
    if user is None or not user.has_perm(Perm.VIEW_COMPLAINT):
        raise PermissionDenied(_("You do not have permission to do this."))


def _checked(filters: ComplaintFilter) -> None:
    if filters.status and filters.status not in ComplaintStatus.values:
        raise ValidationError({"status": _("Unknown status “%(status)s”.") % {"status": filters.status[:40]}})
    if filters.category and not Category.objects.filter(code=filters.category).exists():
        raise ValidationError({"category": _("Choose one of the complaint categories.")})
    if filters.department is not None and not Department.objects.filter(pk=filters.department).exists():
        raise ValidationError({"department": _("Choose an active department.")})


def complaints_for(user: Any, filters: ComplaintFilter) -> QuerySet[Complaint]:
    """The complaints the filters keep, newest first (ValidationError naming the field for a bad filter)."""
    can_view(user)
    _checked(filters)
    rows = Complaint.objects.select_related("customer", "category", "department", "owner", "order", "created_by")
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.category:
        rows = rows.filter(category_id=filters.category)
    if filters.department is not None:
        rows = rows.filter(department_id=filters.department)
    if filters.owner == "none":
        rows = rows.filter(owner__isnull=True)
    elif filters.owner:
        rows = rows.filter(owner__username=filters.owner)
    if filters.customer is not None:
        rows = rows.filter(customer_id=filters.customer)
    if filters.overdue:
        rows = rows.exclude(status=ComplaintStatus.CLOSED).filter(due_at__lte=timezone.now())
    return rows.order_by("-created_at", "-id")


def complaint_for(user: Any, pk: int) -> Complaint:
    """One complaint with what its page shows, or Http404."""
    can_view(user)
    found = (Complaint.objects.select_related("customer", "category", "department", "owner", "order", "created_by")
             .filter(pk=pk).first())
    if found is None:
        raise Http404(_("Complaint #%(id)s does not exist.") % {"id": pk})
    return found


def history(complaint: Complaint) -> list[Any]:
    """Every step of the complaint, oldest first."""
    return list(complaint.events.select_related("actor").order_by("at", "id"))
