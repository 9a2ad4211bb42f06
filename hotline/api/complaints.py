"""Complaints (投诉): list with filters, one with its history, open one, and every step of its life.

Every write calls the same action as the back office (`hotline.service.actions`), so refusals are the same
422 field errors; reads check `service.view_complaint`.
"""

import datetime
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.pagination import paginate

from hotline.accounts.models import User
from hotline.accounts.permissions import Perm
from hotline.api.auth import current_user, needs
from hotline.api.errors import responses
from hotline.api.limits import SMALL_BODY, body_limit
from hotline.api.pagination import Page
from hotline.api.schemas import Id, In, PathId
from hotline.crm.models import Customer
from hotline.orders.models import Order
from hotline.service import actions
from hotline.service.complaint_queries import ComplaintFilter, complaint_for, complaints_for
from hotline.service.models import Complaint, Department

router = Router(tags=["complaints"])


def _name(user: Any) -> str | None:
    return user.get_username() if user is not None else None


class EventOut(Schema):
    """One step of a complaint's history; `actor` is a user name, null for the system (an escalation)."""

    kind: str
    at: datetime.datetime
    actor: str | None
    text: str
    outcome: str

    @staticmethod
    def resolve_actor(obj: Any) -> str | None:
        return _name(obj.actor)


class ComplaintOut(Schema):
    """A complaint; `category` is the category's code, `owner` a user name; `overdue` is not closed and past
    `due_at`; `escalated_at` is when the supervisors were told."""

    id: int
    customer_id: int
    order: str | None = Field(description="the order's number")
    call_id: str
    category: str
    category_name: str
    department_id: int | None
    priority: str
    owner: str | None
    summary: str
    status: str
    resolution: str
    created_at: datetime.datetime
    due_at: datetime.datetime | None
    overdue: bool
    escalated_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    confirmed_at: datetime.datetime | None
    reopened: int

    @staticmethod
    def resolve_order(obj: Any) -> str | None:
        return obj.order.number if obj.order_id else None  # type: ignore[no-any-return]

    @staticmethod
    def resolve_category(obj: Any) -> str:
        return obj.category_id  # type: ignore[no-any-return]

    @staticmethod
    def resolve_category_name(obj: Any) -> str:
        return obj.category.name  # type: ignore[no-any-return]

    @staticmethod
    def resolve_owner(obj: Any) -> str | None:
        return _name(obj.owner)

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        return obj.is_overdue()  # type: ignore[no-any-return]


class ComplaintDetailOut(ComplaintOut):
    events: list[EventOut]

    @staticmethod
    def resolve_events(obj: Any) -> list[Any]:
        return list(obj.events.select_related("actor").order_by("at", "id"))


class ComplaintFilterIn(Schema):
    status: str = Field("", description="open, in_progress or closed")
    category: str = Field("", max_length=40, description="a category code")
    department: Id | None = None
    owner: str = Field("", max_length=150, description='a user name, or "none" for nobody')
    overdue: bool = False
    customer: Id | None = None


class ComplaintIn(In):
    """A new complaint: the customer, what it is about; optionally the category's code (default "other"), an
    order of that customer (its number), the call it came from, the priority."""

    customer_id: Id
    summary: str = Field(max_length=2000)
    category: str = Field("other", max_length=40)
    order: str = Field("", max_length=40)
    call_id: str = Field("", max_length=64)
    priority: Literal["low", "normal", "high", "urgent"] = "normal"


class StepIn(In):
    """One step: `assign` (owner, department, priority), `take`, `note` (text), `contact` (outcome, text),
    `close` (resolution), `confirm` (text), `reopen` (reason)."""

    step: Literal["assign", "take", "note", "contact", "close", "confirm", "reopen"]
    text: str = Field("", max_length=2000)
    outcome: str = Field("", max_length=20)
    resolution: str = Field("", max_length=2000)
    reason: str = Field("", max_length=2000)
    owner: str = Field("", max_length=150)
    department: Id | None = None
    priority: Literal["", "low", "normal", "high", "urgent"] = ""


@router.get("", response={200: list[ComplaintOut], **responses(422)}, auth=needs(Perm.VIEW_COMPLAINT))
@paginate(Page)
def list_complaints(request: HttpRequest, filters: Query[ComplaintFilterIn]) -> QuerySet[Complaint]:
    """Complaints, newest first, by status, category, department, owner, overdue and customer.
    Needs `service.view_complaint`."""
    return complaints_for(current_user(request), ComplaintFilter(**filters.dict()))


@router.get("/{complaint_id}", response={200: ComplaintDetailOut, **responses(404)},
            auth=needs(Perm.VIEW_COMPLAINT))
def get_complaint(request: HttpRequest, complaint_id: PathId) -> Complaint:
    """One complaint with its whole history. Needs `service.view_complaint`."""
    return complaint_for(current_user(request), complaint_id)


@router.post("", response={201: ComplaintDetailOut, **responses(404, 422)}, auth=needs(Perm.OPEN_COMPLAINT))
@decorate_view(body_limit(SMALL_BODY))
def open_complaint(request: HttpRequest, payload: ComplaintIn) -> Status[Complaint]:
    """Open a complaint; it is due the category's SLA hours from now. Needs `service.add_complaint`."""
    user = current_user(request)
    customer = Customer.objects.filter(pk=payload.customer_id).first()
    if customer is None:
        raise Http404(_("Customer #%(id)s does not exist.") % {"id": payload.customer_id})
    order = None
    if payload.order:
        order = Order.objects.filter(number=payload.order.strip()).first()
        if order is None:
            raise Http404(_("Order %(number)s does not exist.") % {"number": payload.order[:40]})
    complaint = actions.do_open_complaint(customer, payload.summary, actor=user, category=payload.category,
                                          order=order, call_id=payload.call_id, priority=payload.priority)
    return Status(201, complaint_for(user, complaint.pk))


@router.post("/{complaint_id}/steps", response={200: ComplaintDetailOut, **responses(404, 422)},
             auth=needs(Perm.HANDLE_COMPLAINT))
@decorate_view(body_limit(SMALL_BODY))
def complaint_step(request: HttpRequest, complaint_id: PathId, payload: StepIn) -> Complaint:
    """One step of the complaint's life (see `StepIn`). Needs `service.change_complaint`."""
    user = current_user(request)
    complaint = complaint_for(user, complaint_id)
    _STEPS[payload.step](complaint, payload, user)
    return complaint_for(user, complaint_id)


def _assign(complaint: Complaint, payload: StepIn, user: User) -> Any:
    owner = None
    if payload.owner:
        owner = User.objects.filter(username=payload.owner).first()
        if owner is None:
            raise Http404(_("User %(name)s does not exist.") % {"name": payload.owner[:40]})
    department = None
    if payload.department is not None:
        department = Department.objects.filter(pk=payload.department).first()
        if department is None:
            raise Http404(_("Department #%(id)s does not exist.") % {"id": payload.department})
    return actions.do_assign_complaint(complaint, actor=user, owner=owner, department=department,
                                       priority=payload.priority or None)


_STEPS = {
    "assign": _assign,
    "take": lambda c, p, u: actions.do_take_complaint(c, actor=u),
    "note": lambda c, p, u: actions.do_add_complaint_note(c, p.text, actor=u),
    "contact": lambda c, p, u: actions.do_record_contact(c, p.outcome, p.text, actor=u),
    "close": lambda c, p, u: actions.do_close_complaint(c, p.resolution, actor=u),
    "confirm": lambda c, p, u: actions.do_confirm_resolution(c, p.text, actor=u),
    "reopen": lambda c, p, u: actions.do_reopen_complaint(c, p.reason, actor=u),
}
