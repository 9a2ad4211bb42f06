"""Every write of customer service: complaints, after-call notes and messages.

Each action checks its permission, validates, writes in one transaction with an audit row, and
(messages) publishes on the bus after commit so the desk can push it to browsers.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.audit import record, snapshot
from hotline.accounts.models import User
from hotline.accounts.permissions import Perm
from hotline.calls.models import CallRecord
from hotline.crm.models import Customer
from hotline.lib.bus import publish_on_commit
from hotline.orders.models import Order
from hotline.service.models import (
    CallNote,
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    Disposition,
    Message,
    MessageKind,
)

MESSAGE_TOPIC = "service.message"


def _require(actor: Any, perm: Perm) -> None:
    if actor is None or not actor.has_perm(perm):
        raise PermissionDenied(_("You do not have permission to do this."))


def _text(value: str, field: str, message: str) -> str:
    """The text trimmed, or a field error saying it is required."""
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


# ---------------------------------------------------------------------------------------- complaints


@transaction.atomic
def do_open_complaint(customer: Customer, summary: str, *, actor: Any, category: str = ComplaintCategory.OTHER,
                      order: Order | None = None, call_id: str = "") -> Complaint:
    """Open a complaint for a customer, optionally about one of their orders and from a call."""
    _require(actor, Perm.OPEN_COMPLAINT)
    summary = _text(summary, "summary", _("Describe the complaint."))
    if order is not None and order.customer_id != customer.pk:
        raise ValidationError({"order": _("This order belongs to another customer.")})
    complaint = Complaint(customer=customer, order=order, call_id=(call_id or "").strip(), category=category,
                          summary=summary, created_by=actor if getattr(actor, "pk", None) else None)
    complaint.full_clean()
    complaint.save()
    record("open_complaint", complaint, actor=actor, after=snapshot(complaint))
    return complaint


@transaction.atomic
def do_take_complaint(complaint: Complaint, *, actor: Any) -> Complaint:
    """Mark an open complaint as being worked on."""
    _require(actor, Perm.HANDLE_COMPLAINT)
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.status != ComplaintStatus.OPEN:
        raise ValidationError(_("Only an open complaint can be taken in hand."))
    before = snapshot(complaint)
    complaint.status = ComplaintStatus.IN_PROGRESS
    complaint.save(update_fields=["status"])
    record("take_complaint", complaint, actor=actor, before=before, after=snapshot(complaint))
    return complaint


@transaction.atomic
def do_close_complaint(complaint: Complaint, resolution: str, *, actor: Any) -> Complaint:
    """Close a complaint with what was done about it (required)."""
    _require(actor, Perm.HANDLE_COMPLAINT)
    resolution = _text(resolution, "resolution", _("Say how the complaint was resolved."))
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.status == ComplaintStatus.CLOSED:
        raise ValidationError(_("This complaint is already closed."))
    before = snapshot(complaint)
    complaint.status, complaint.resolution, complaint.closed_at = ComplaintStatus.CLOSED, resolution, timezone.now()
    complaint.full_clean()
    complaint.save(update_fields=["status", "resolution", "closed_at"])
    record("close_complaint", complaint, actor=actor, before=before, after=snapshot(complaint))
    return complaint


# ------------------------------------------------------------------------------------------ call notes


@transaction.atomic
def do_save_call_note(call_id: str, disposition: str, notes: str = "", *, actor: Any,
                      customer: Customer | None = None) -> CallNote:
    """Write the actor's wrap-up of a call, or correct it: one note per call and agent.

    Only the call's agent, or someone who supervises calls, may write it."""
    if not call_id:
        raise ValidationError({"call_id": _("Say which call this note is for.")})
    call = CallRecord.objects.filter(call_id=call_id).first()
    if call is None:
        raise ValidationError({"call_id": _("Unknown call %(id)s.") % {"id": call_id}})
    is_agent = bool(call.agent_key) and call.agent_key == getattr(actor, "username", None)
    if not is_agent and not (actor is not None and actor.has_perm(Perm.SUPERVISE_CALLS)):
        raise PermissionDenied(_("Only the agent who had the call, or a supervisor, can write its note."))
    if disposition not in Disposition.values:
        raise ValidationError({"disposition": _("Choose how the call ended.")})
    note = CallNote.objects.select_for_update().filter(call_id=call_id, agent=actor).first()
    before = snapshot(note) if note else None
    if note is None:
        note = CallNote(call_id=call_id, agent=actor)
    note.disposition, note.notes = disposition, (notes or "").strip()
    if customer is not None:
        note.customer = customer
    note.full_clean()
    note.save()
    record("save_call_note", note, actor=actor, before=before, after=snapshot(note))
    return note


# -------------------------------------------------------------------------------------------- messages


def message_payload(message: Message) -> dict[str, Any]:
    """What the bus carries for a message (the desk forwards it to browsers)."""
    return {
        "id": message.pk, "kind": message.kind, "sender": message.sender.username,
        "recipient": message.recipient.username if message.recipient else "",
        "to_supervisors": message.to_supervisors, "body": message.body, "call_id": message.call_id,
        "reply_to": message.reply_to_id, "at": message.created_at.isoformat(),
    }


def _write_message(message: Message, action: str, actor: Any) -> Message:
    message.full_clean()
    message.save()
    record(action, message, actor=actor, after=snapshot(message))
    publish_on_commit(MESSAGE_TOPIC, message_payload(message))
    return message


@transaction.atomic
def do_send_message(body: str, *, actor: Any, recipient: User | None = None, to_supervisors: bool = False,
                    call_id: str = "") -> Message:
    """Send a message to one user or to all supervisors (exactly one of the two)."""
    _require(actor, Perm.SEND_MESSAGE)
    body = _text(body, "body", _("Write a message."))
    if (recipient is None) == (not to_supervisors):
        raise ValidationError(_("Send a message either to one person or to the supervisors."))
    if recipient is not None and (recipient.pk == actor.pk or not recipient.is_active):
        raise ValidationError({"recipient": _("Choose another recipient.")})
    message = Message(sender=actor, recipient=recipient, to_supervisors=to_supervisors, body=body,
                      call_id=(call_id or "").strip())
    return _write_message(message, "send_message", actor)


@transaction.atomic
def do_ask_supervisor(question: str, *, actor: Any, call_id: str = "") -> Message:
    """Ask the supervisors a question ("ask my supervisor"), often during a call."""
    _require(actor, Perm.SEND_MESSAGE)
    body = _text(question, "body", _("Write your question."))
    message = Message(sender=actor, to_supervisors=True, kind=MessageKind.QUESTION, body=body,
                      call_id=(call_id or "").strip())
    return _write_message(message, "ask_supervisor", actor)


@transaction.atomic
def do_answer_question(question: Message, body: str, *, actor: Any) -> Message:
    """A supervisor answers a question: a reply to the asker; the question becomes answered (and read)."""
    _require(actor, Perm.SUPERVISE_CALLS)
    body = _text(body, "body", _("Write an answer."))
    question = Message.objects.select_for_update().get(pk=question.pk)
    if question.kind != MessageKind.QUESTION:
        raise ValidationError(_("Only a question can be answered."))
    now = timezone.now()
    before = snapshot(question)
    question.answered_at = question.answered_at or now  # a second answer keeps the first time
    question.read_at = question.read_at or now
    question.save(update_fields=["answered_at", "read_at"])
    record("answer_question", question, actor=actor, before=before, after=snapshot(question))
    reply = Message(sender=actor, recipient=question.sender, body=body, call_id=question.call_id,
                    reply_to=question)
    return _write_message(reply, "send_message", actor)


@transaction.atomic
def do_mark_read(message: Message, *, actor: Any) -> Message:
    """Mark a message read: by its recipient, or by a supervisor when it went to the supervisors.
    Reading it again changes nothing."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    allowed = (message.recipient_id is not None and message.recipient_id == getattr(actor, "pk", None)) or (
        message.to_supervisors and actor is not None and actor.has_perm(Perm.SUPERVISE_CALLS))
    if not allowed:
        raise PermissionDenied(_("This message is not addressed to you."))
    if message.read_at is not None:
        return message
    before = snapshot(message)
    message.read_at = timezone.now()
    message.save(update_fields=["read_at"])
    record("read_message", message, actor=actor, before=before, after=snapshot(message))
    publish_on_commit(MESSAGE_TOPIC, message_payload(message))
    return message
