"""Reads for the desk: scripts and their rendering, open complaints, a caller's recent contacts,
the message inbox and unanswered questions."""

from __future__ import annotations

import re
from contextlib import nullcontext
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hotline.accounts.models import Role, User
from hotline.accounts.permissions import Perm
from hotline.calls.actions import normalize_caller
from hotline.calls.models import CallRecord
from hotline.catalog.models import Product
from hotline.crm.models import Customer
from hotline.lib.phones import normalize_phone
from hotline.service.models import CallNote, Complaint, ComplaintStatus, Message, MessageKind, Notice, Script

_FIELD = re.compile(r"\{(\w+)\}")
# Fields that render as nothing for an unknown caller (the others stay as typed when they have no value).
EMPTY_WHEN_UNKNOWN = frozenset({"salutation_lead", "salutation_tail"})
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _normal_or_empty(raw: str) -> str:
    try:
        return normalize_phone(raw) if raw else ""
    except ValidationError:
        return ""


def scripts_for(*, product_id: int | None, hotline: str = "") -> list[Script]:
    """Active scripts for a call: the product's first, then the dialled number's, then general ones;
    by position within each group. A script for another product or number is left out."""
    number = _normal_or_empty(hotline)
    product_match = Q(product__isnull=True) | Q(product_id=product_id) if product_id else Q(product__isnull=True)
    number_match = Q(hotline_number__isnull=True)
    if number:
        number_match |= Q(hotline_number__number=number)
    scripts = Script.objects.filter(product_match, number_match, active=True).order_by("position", "id")

    def group(script: Script) -> int:
        return 0 if script.product_id else 1 if script.hotline_number_id else 2

    return sorted(scripts, key=group)  # sorted() is stable: position order holds within a group


def display_name(user: User | None) -> str:
    """How an agent is named to a customer or a colleague: their name, else their user name."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def address_fields(customer: Customer | None) -> dict[str, str]:
    """The merge fields that address the caller, each natural whether the name is known or not.

    | field               | known (王先生)   | unknown caller |
    |---------------------|------------------|----------------|
    | `{greeting}`        | 王先生，您好     | 您好           |
    | `{salutation}`      | 王先生           | 您             |
    | `{salutation_lead}` | 王先生，         | (nothing)      |
    | `{salutation_tail}` | ，王先生         | (nothing)      |

    `{salutation}` stands where 您 could stand (“{salutation}刚才看到的…”); the lead opens a sentence
    (“{salutation_lead}您刚才…”) and the tail closes one (“感谢您的来电{salutation_tail}。”), so an unknown
    caller never hears “您您好” or “…，您。”."""
    salutation = customer.salutation if customer is not None else ""
    if not salutation:
        return {"greeting": _("Hello"), "salutation": _("Sir or Madam"), "salutation_lead": "",
                "salutation_tail": ""}
    return {"greeting": _("Hello, %(salutation)s") % {"salutation": salutation}, "salutation": salutation,
            "salutation_lead": _("%(salutation)s, ") % {"salutation": salutation},
            "salutation_tail": _(", %(salutation)s") % {"salutation": salutation}}


def render_script(script: Script, *, customer: Customer | None = None, product: Product | None = None,
                  hotline: str = "", agent: User | None = None) -> str:
    """The script's text with its merge fields filled in, as plain text.

    The fields that address the caller always render (see `address_fields`), also for an unknown caller, and
    in the script's language: Chinese punctuation and 您好 in a Chinese script, even on an English screen.
    `{product}` on a call without an aired product (a general script such as the cross-sell one, on a call
    outside any airing) reads "the product you order" (您订购的商品): the agent reads it aloud, so a literal
    placeholder must never show. Any other field that is unknown or has no value here ({name} of an unknown
    caller, {price} without a product) stays as typed, so an agent sees what is missing; stray braces are
    kept as they are."""
    # The caller hears the script's language, whatever the agent's screen is in.
    with translation.override("zh-hans") if _CHINESE.search(script.body) else nullcontext():
        addressing = address_fields(customer)
        product_name = product.name if product else _("the product you order")
    values = {
        **addressing,
        "name": customer.name if customer else "",
        "surname": customer.name[:1] if customer else "",
        "product": product_name,
        "price": f"{product.price:.2f}" if product else "",
        "hotline": _normal_or_empty(hotline) or hotline.strip(),
        "agent": display_name(agent),
    }

    def fill(match: re.Match[str]) -> str:
        field = match.group(1)
        value = values.get(field, "")
        return value if value or field in EMPTY_WHEN_UNKNOWN else match.group(0)

    return _FIELD.sub(fill, script.body)


def open_complaints(customer: Customer) -> list[Complaint]:
    """The customer's complaints not yet closed, newest first (with category, owner and due time)."""
    return list(customer.complaints.exclude(status=ComplaintStatus.CLOSED)
                .select_related("order", "created_by", "category", "owner").order_by("-created_at", "-id"))


def recent_contacts(numbers: list[str], limit: int = 5) -> list[dict[str, Any]]:
    """The last calls from any of these numbers, newest first, each with its after-call note if any.

    Two queries: the call records, then the notes of those calls. When several agents wrote a note on
    one call (a transfer), the note of the call's last agent wins, else the latest written."""
    normal = sorted({normalize_caller(n) for n in numbers if n and n.strip()})
    if not normal:
        return []
    calls = list(CallRecord.objects.filter(caller__in=normal).select_related("agent")
                 .order_by("-arrived_at", "-id")[:limit])
    notes: dict[str, CallNote] = {}
    agent_of = {call.call_id: call.agent_key for call in calls}
    for note in CallNote.objects.filter(call_id__in=list(agent_of)).select_related("agent").order_by("updated_at"):
        current = notes.get(note.call_id)
        if current is None or current.agent.username != agent_of[note.call_id]:
            notes[note.call_id] = note
    return [_contact(call, notes.get(call.call_id)) for call in calls]


def _contact(call: CallRecord, note: CallNote | None) -> dict[str, Any]:
    return {
        "call_id": call.call_id, "at": call.arrived_at, "direction": call.direction, "outcome": call.outcome,
        "agent": display_name(call.agent) or call.agent_key,
        "disposition": note.get_disposition_display() if note else "", "notes": note.notes if note else "",
    }


def inbox(user: User, limit: int = 50) -> list[Message]:
    """Messages to the user, and those to the supervisors when the user supervises; newest first."""
    mine = Q(recipient=user)
    if user.has_perm(Perm.SUPERVISE_CALLS):
        mine |= Q(to_supervisors=True)
    return list(Message.objects.filter(mine).select_related("sender", "recipient")
                .order_by("-created_at", "-id")[:limit])


def open_questions() -> list[Message]:
    """Questions to the supervisors not answered yet, oldest first (the longest waiting at the top)."""
    return list(Message.objects.filter(kind=MessageKind.QUESTION, answered_at__isnull=True)
                .select_related("sender").order_by("created_at", "id"))


def current_notices() -> list[Notice]:
    """The bulletin board: notices not withdrawn and not expired, newest first."""
    return list(Notice.objects.filter(withdrawn_at__isnull=True, expires_at__gt=timezone.now())
                .select_related("author").order_by("-posted_at", "-id"))


def colleagues(user: User) -> QuerySet[User]:
    """Whom the user can message: active people on the floor (agents and supervisors), not the user."""
    return (User.objects.filter(is_active=True, role__in=[Role.AGENT, Role.SUPERVISOR]).exclude(pk=user.pk)
            .order_by("username"))
