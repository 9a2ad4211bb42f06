"""Writing a message: saved, audited and published to the desks. Its own module, because complaint escalation
(complaint_actions) sends one and the other actions re-export the complaint actions."""

from __future__ import annotations

from typing import Any

from hotline.accounts.audit import record, snapshot
from hotline.lib.bus import publish_on_commit
from hotline.service.models import Message

MESSAGE_TOPIC = "service.message"


def message_payload(message: Message) -> dict[str, Any]:
    """What the bus carries for a message (the desk forwards it to browsers)."""
    return {
        "id": message.pk, "kind": message.kind, "sender": message.sender.username if message.sender else "",
        "recipient": message.recipient.username if message.recipient else "",
        "to_supervisors": message.to_supervisors, "body": message.body, "call_id": message.call_id,
        "reply_to": message.reply_to_id, "at": message.created_at.isoformat(),
    }


def write_message(message: Message, action: str, actor: Any) -> Message:
    """Save a checked message, audit it as `action` and tell the desks after the commit."""
    message.full_clean()
    message.save()
    record(action, message, actor=actor, after=snapshot(message))
    publish_on_commit(MESSAGE_TOPIC, message_payload(message))
    return message


def send_system_message(body: str, *, call_id: str = "") -> Message:
    """A message from the system to the supervisors (no sender): an overdue complaint, for one."""
    message = Message(sender=None, to_supervisors=True, body=body[:1000], call_id=call_id)
    return write_message(message, "send_message", None)
