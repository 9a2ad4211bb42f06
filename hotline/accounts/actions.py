"""Writes on users and tokens, and the generic audited save/delete used by the back office."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models, transaction

from hotline.accounts.audit import record, snapshot
from hotline.accounts.models import ApiToken, User
from hotline.accounts.permissions import Role

M = TypeVar("M", bound=models.Model)


@transaction.atomic
def do_save_object(obj: M, *, actor: Any, action: str = "") -> M:
    """Validate and save any model instance, with its before/after in the audit log."""
    before = None
    if obj.pk is not None:
        old = type(obj)._default_manager.filter(pk=obj.pk).first()
        before = snapshot(old) if old is not None else None
    obj.full_clean()
    obj.save()
    record(action or ("change" if before else "add"), obj, actor=actor, before=before, after=snapshot(obj))
    return obj


@transaction.atomic
def do_delete_object(obj: models.Model, *, actor: Any) -> None:
    """Delete any model instance, keeping its last state in the audit log."""
    before = snapshot(obj)
    record("delete", obj, actor=actor, before=before, after=None)
    obj.delete()


@transaction.atomic
def do_create_user(username: str, password: str, role: str, *, actor: Any, first_name: str = "",
                   superuser: bool = False) -> User:
    """Create a user with a role; admins are superusers so the admin site shows everything."""
    user = User(username=username, role=role, first_name=first_name, is_superuser=superuser)
    if role == Role.ADMIN:
        user.is_superuser = True
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    record("create_user", user, actor=actor, after=snapshot(user))
    return user


@transaction.atomic
def do_create_api_token(user: User, *, actor: Any, name: str = "") -> tuple[ApiToken, str]:
    """Issue a token; returns the row and the raw key, which is never stored and shown only now."""
    raw = ApiToken.new_raw_key()
    token = ApiToken.objects.create(user=user, name=name, key_hash=ApiToken.hash_key(raw), prefix=raw[:8])
    record("create_api_token", token, actor=actor, after=snapshot(token))
    return token, raw
