"""Writes on users and tokens, and the generic audited save/delete used by the back office."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import Q
from django.http import HttpRequest

from hotline.accounts import throttle
from hotline.accounts.audit import record, record_sign_in, snapshot
from hotline.accounts.models import ApiToken, SignInThrottle, User
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


@transaction.atomic
def do_record_failed_sign_in(username: str, address: str | None, *, actor: Any) -> bool:
    """Count a failed sign-in against the account tried and the source address, lock those that reach
    their limit, and audit it. When a lock was already on, the password was not checked: nothing is
    counted or written, and False is returned. `actor` is None: nobody is signed in."""
    policy, at = throttle.Policy.from_settings(), throttle.now()
    # Rows are locked in the same order (account, then address) by every request, so two never deadlock;
    # on SQLite the IMMEDIATE transaction serialises the read-modify-write instead.
    rows = [SignInThrottle.objects.select_for_update().get_or_create(kind=kind, key=key)[0]
            for kind, key in throttle.throttle_keys(username, address)]
    if any(throttle.counter_of(row).locked(at) for row in rows):
        return False
    counts: dict[str, int] = {}
    for row in rows:
        after = throttle.after_failure(throttle.counter_of(row), policy.limit(row.kind), policy, at)
        row.failures, row.last_failure_at, row.locked_until = after.failures, after.last_failure_at, after.locked_until
        row.save(update_fields=["failures", "last_failure_at", "locked_until"])
        counts[row.kind] = policy.limit(row.kind) if after.locked(at) else after.failures
        if after.locked_until is not None and after.locked(at):
            record_sign_in("sign_in_locked", username, address,
                           {"locked": row.kind, "locked_until": after.locked_until.isoformat()})
    record_sign_in("sign_in_failed", username, address,
                   {"account_failures": counts.get(SignInThrottle.Kind.ACCOUNT),
                    "address_failures": counts.get(SignInThrottle.Kind.ADDRESS)})
    _forget_stale_failures(policy, at)
    return True


def _forget_stale_failures(policy: throttle.Policy, at: Any) -> None:
    # A guesser spraying made-up user names leaves one row per name; rows whose failures are forgotten
    # anyway (older than the lock time, no lock in force) go, so the table holds only the current window.
    SignInThrottle.objects.filter(last_failure_at__lte=at - policy.lock).exclude(locked_until__gt=at).delete()


def do_clear_sign_in_failures(username: str, *, actor: Any) -> None:
    """A successful sign-in forgets the account's failures. The address keeps its count: otherwise one
    valid account would let a guesser reset their address between guesses at other accounts."""
    SignInThrottle.objects.filter(kind=SignInThrottle.Kind.ACCOUNT, key=username[:150]).filter(
        Q(locked_until__isnull=True) | Q(locked_until__lte=throttle.now())).delete()


@transaction.atomic
def do_unlock_sign_in(lock: SignInThrottle, *, actor: Any) -> SignInThrottle:
    """Lift a lock and forget the failures of an account or address (an admin, after checking who it was)."""
    lock = SignInThrottle.objects.select_for_update().get(pk=lock.pk)
    before = snapshot(lock)
    lock.failures, lock.locked_until = 0, None
    lock.save(update_fields=["failures", "locked_until"])
    record("unlock_sign_in", lock, actor=actor, before=before, after=snapshot(lock))
    return lock


def on_user_login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None,
                         **kwargs: Any) -> None:
    """Every failed `authenticate()` counts, whichever screen or program called it."""
    username = credentials.get("username")
    if isinstance(username, str) and username:
        do_record_failed_sign_in(username, throttle.client_address(request), actor=None)
