"""Every write of customer service: after-call notes, messages, the bulletin board; complaints live in
`hotline.service.complaint_actions` and are re-exported here.

Each action checks its permission, validates, writes in one transaction with an audit row, and
(messages, notices) publishes on the bus after commit so the desk can push it to browsers.
"""

from __future__ import annotations

import datetime
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
from hotline.service.complaint_actions import (  # noqa: F401  (re-exported: one module of actions to import)
    do_add_complaint_note,
    do_assign_complaint,
    do_close_complaint,
    do_confirm_resolution,
    do_escalate_complaint,
    do_open_complaint,
    do_record_contact,
    do_reopen_complaint,
    do_save_category,
    do_save_department,
    do_take_complaint,
    escalate_overdue,
)
from hotline.service.messaging import (  # noqa: F401  (message_payload and MESSAGE_TOPIC re-exported)
    MESSAGE_TOPIC,
    message_payload,
    send_system_message,
    write_message,
)
from hotline.service.models import CallNote, Disposition, Message, MessageKind, Notice

NOTICE_TOPIC = "service.notice"
MAX_NOTICE_DAYS = 90  # a notice left up longer than a quarter is forgotten, not a notice


def _require(actor: Any, perm: Perm) -> None:
    if actor is None or not actor.has_perm(perm):
        raise PermissionDenied(_("You do not have permission to do this."))


def _text(value: str, field: str, message: str) -> str:
    """The text trimmed, or a field error saying it is required."""
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


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


@transaction.atomic
def do_send_message(body: str, *, actor: Any, recipient: User | None = None, to_supervisors: bool = False,
                    call_id: str = "") -> Message:
    """Send a message to one user or to all supervisors (exactly one of the two)."""
    _require(actor, Perm.SEND_MESSAGE)
    body = _text(body, "body", _("Write a message."))
    if (recipient is None) == (not to_supervisors):
        raise ValidationError(_("Send a message either to one person or to the supervisors."))
    if recipient is not None and (recipient.pk == actor.pk or not recipient.is_active
                                  or not recipient.has_perm(Perm.SEND_MESSAGE)):
        raise ValidationError({"recipient": _("Choose another recipient.")})
    message = Message(sender=actor, recipient=recipient, to_supervisors=to_supervisors, body=body,
                      call_id=(call_id or "").strip())
    return write_message(message, "send_message", actor)


@transaction.atomic
def do_ask_supervisor(question: str, *, actor: Any, call_id: str = "") -> Message:
    """Ask the supervisors a question ("ask my supervisor"), often during a call."""
    _require(actor, Perm.SEND_MESSAGE)
    body = _text(question, "body", _("Write your question."))
    message = Message(sender=actor, to_supervisors=True, kind=MessageKind.QUESTION, body=body,
                      call_id=(call_id or "").strip())
    return write_message(message, "ask_supervisor", actor)


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
    return write_message(reply, "send_message", actor)


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


@transaction.atomic
# ------------------------------------------------------------------------------------ bulletin board


def notice_payload(notice: Notice) -> dict[str, Any]:
    """What the bus carries for a notice posted or withdrawn (the desk refreshes its board)."""
    return {"id": notice.pk, "title": notice.title, "expires_at": notice.expires_at.isoformat(),
            "withdrawn": notice.withdrawn_at is not None}


@transaction.atomic
def do_post_notice(title: str, body: str = "", *, actor: Any, expires_at: datetime.datetime | None) -> Notice:
    """Post a notice on the floor's bulletin board (公告板) until `expires_at` (in the future, within
    MAX_NOTICE_DAYS)."""
    _require(actor, Perm.POST_NOTICE)
    title = _text(title, "title", _("Give the notice a title."))
    now = timezone.now()
    if expires_at is None or expires_at <= now:
        raise ValidationError({"expires_at": _("The notice must expire in the future.")})
    if expires_at > now + datetime.timedelta(days=MAX_NOTICE_DAYS):
        raise ValidationError({"expires_at": _("A notice expires within %(days)d days.") % {"days": MAX_NOTICE_DAYS}})
    notice = Notice(title=title, body=(body or "").strip(), author=actor, posted_at=now, expires_at=expires_at)
    notice.full_clean()
    notice.save()
    record("post_notice", notice, actor=actor, after=snapshot(notice))
    publish_on_commit(NOTICE_TOPIC, notice_payload(notice))
    return notice


@transaction.atomic
def do_withdraw_notice(notice: Notice, *, actor: Any) -> Notice:
    """Take a notice off the board before it expires; withdrawing it again changes nothing."""
    _require(actor, Perm.POST_NOTICE)
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.withdrawn_at is not None:
        return notice
    before = snapshot(notice)
    notice.withdrawn_at = timezone.now()
    notice.save(update_fields=["withdrawn_at"])
    record("withdraw_notice", notice, actor=actor, before=before, after=snapshot(notice))
    publish_on_commit(NOTICE_TOPIC, notice_payload(notice))
    return notice
