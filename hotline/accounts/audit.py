"""Recording writes in the audit log. Every action calls `record` inside its transaction."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile

from hotline.accounts.models import AuditEntry, User

_SECRET_FIELDS = {"password", "pin_hash", "key_hash", "api_secret"}


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The object's concrete fields as JSON-safe values (secrets masked) for before/after."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if field.name in _SECRET_FIELDS:
            value = "***" if value else ""
        data[field.attname] = _jsonable(value)
    return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):  # an uploaded file is audited by its stored name
        return value.name or ""
    return value


def user_or_none(actor: Any) -> Any:
    """The user to store in a `by` column: None for the system (imports, the engine, a courier's push)."""
    return actor if getattr(actor, "pk", None) else None


def record(action: str, obj: models.Model, *, actor: Any, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> AuditEntry:
    """Append one audit row; `actor` may be None for the system (imports, the engine)."""
    user = user_or_none(actor)
    return AuditEntry.objects.create(
        actor=user,
        actor_name=user.get_username() if user else "system",
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
    )


def record_sign_in(action: str, username: str, address: str | None, details: dict[str, Any]) -> AuditEntry:
    """Append one row about a sign-in attempt: nobody is signed in, so the source address stands in for
    the actor, and the user name tried is the object (with its user's id when such a user exists)."""
    user_id = User.objects.filter(username=username).values_list("pk", flat=True).first()
    return AuditEntry.objects.create(
        actor=None,
        actor_name=(address or "")[:150],
        action=action,
        object_type="accounts.user",
        object_id=str(user_id or ""),
        object_repr=username[:200],
        after={"username": username, "address": address, **details},
    )
