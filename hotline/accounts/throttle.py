"""Throttling of web sign-ins, per account (the user name tried) and per source address.

After `delay_after` failures in a row, each next attempt on that key must wait 1, 2, 4 … seconds (at most
`max_delay`) after the last failure. An attempt sooner is refused at once, before the password is checked:
nothing sleeps in the request, so a guesser ties up no worker. After `account_limit` failures (or
`address_limit` from one address, whatever the accounts) the key is locked for `lock`; during a lock even
the right password is refused. Failures older than `lock` are forgotten.

The decisions are plain functions of a `Counter` and `now` (tested on a fake clock); the writes are the
actions in `actions.py`; `check_sign_in` and `client_address` are the reads the sign-in form uses.
"""

from __future__ import annotations

import datetime
import ipaddress
import math
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import ngettext

from hotline.accounts.models import SignInThrottle

Kind = SignInThrottle.Kind


def now() -> datetime.datetime:
    """The throttle's clock; tests replace it with a fake one."""
    return timezone.now()


@dataclass(frozen=True)
class Policy:
    """The limits, from the HOTLINE_LOGIN_* settings (docs/configuration.md)."""

    account_limit: int
    address_limit: int
    lock: datetime.timedelta
    delay_after: int
    max_delay: int  # seconds

    @classmethod
    def from_settings(cls) -> Policy:
        return cls(account_limit=settings.HOTLINE_LOGIN_ACCOUNT_LIMIT,
                   address_limit=settings.HOTLINE_LOGIN_ADDRESS_LIMIT,
                   lock=datetime.timedelta(minutes=settings.HOTLINE_LOGIN_LOCK_MINUTES),
                   delay_after=settings.HOTLINE_LOGIN_DELAY_AFTER,
                   max_delay=settings.HOTLINE_LOGIN_MAX_DELAY)

    def limit(self, kind: str) -> int:
        return self.account_limit if kind == Kind.ACCOUNT else self.address_limit

    def delay(self, failures: int) -> datetime.timedelta:
        """How long after the last of `failures` failures the next attempt must wait."""
        if failures < self.delay_after or self.max_delay == 0:
            return datetime.timedelta(0)
        return datetime.timedelta(seconds=min(2 ** (failures - self.delay_after), self.max_delay))


@dataclass(frozen=True)
class Counter:
    """One key's state: failures in a row, when the last one was, and the end of its lock if any."""

    failures: int = 0
    last_failure_at: datetime.datetime | None = None
    locked_until: datetime.datetime | None = None

    def locked(self, at: datetime.datetime) -> bool:
        return self.locked_until is not None and at < self.locked_until

    def forgotten(self, policy: Policy, at: datetime.datetime) -> bool:
        return self.last_failure_at is None or self.last_failure_at <= at - policy.lock


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in is refused before its password is checked, and for how long."""

    locked: bool
    wait: datetime.timedelta

    def message(self) -> str:
        seconds = max(1, math.ceil(self.wait.total_seconds()))
        if self.locked:
            minutes = math.ceil(seconds / 60)
            return ngettext("Too many failed sign-ins. Try again in %(minutes)d minute.",
                            "Too many failed sign-ins. Try again in %(minutes)d minutes.", minutes) % {
                                "minutes": minutes}
        return ngettext("Too many failed sign-ins. Try again in %(seconds)d second.",
                        "Too many failed sign-ins. Try again in %(seconds)d seconds.", seconds) % {
                            "seconds": seconds}


def refusal_for(counter: Counter, policy: Policy, at: datetime.datetime) -> Refusal | None:
    """The refusal an attempt at `at` gets from this key, or None when it may be tried."""
    if counter.locked(at):
        assert counter.locked_until is not None
        return Refusal(locked=True, wait=counter.locked_until - at)
    if counter.forgotten(policy, at):
        return None
    assert counter.last_failure_at is not None
    ready_at = counter.last_failure_at + policy.delay(counter.failures)
    return Refusal(locked=False, wait=ready_at - at) if at < ready_at else None


def after_failure(counter: Counter, limit: int, policy: Policy, at: datetime.datetime) -> Counter:
    """The key's state after a failed sign-in at `at`; reaching `limit` locks it (and starts a new count)."""
    if counter.locked(at):
        return counter
    failures = 1 if counter.forgotten(policy, at) else counter.failures + 1
    if failures >= limit:
        return Counter(failures=0, last_failure_at=at, locked_until=at + policy.lock)
    return Counter(failures=failures, last_failure_at=at, locked_until=None)


def worst(refusals: list[Refusal | None]) -> Refusal | None:
    """A lock before a delay, the longest first."""
    found = [r for r in refusals if r is not None]
    return max(found, key=lambda r: (r.locked, r.wait)) if found else None


def throttle_keys(username: str, address: str | None) -> list[tuple[str, str]]:
    """The (kind, key) pairs an attempt counts against; no address (a sign-in outside a request) is skipped."""
    keys = [(str(Kind.ACCOUNT), username[:150])]
    if address:
        keys.append((str(Kind.ADDRESS), address))
    return keys


def counter_of(row: SignInThrottle) -> Counter:
    return Counter(failures=row.failures, last_failure_at=row.last_failure_at, locked_until=row.locked_until)


def check_sign_in(username: str, address: str | None, *, locks_only: bool = False) -> Refusal | None:
    """Whether an attempt now must be refused before its password is checked (a read, no write)."""
    policy, at = Policy.from_settings(), now()
    refusals: list[Refusal | None] = []
    for kind, key in throttle_keys(username, address):
        row = SignInThrottle.objects.filter(kind=kind, key=key).first()
        if row is not None:
            refusal = refusal_for(counter_of(row), policy, at)
            refusals.append(refusal if refusal is None or refusal.locked or not locks_only else None)
    return worst(refusals)


def client_address(request: HttpRequest | None) -> str | None:
    """The sign-in's source: REMOTE_ADDR, or the configured proxy header's last hop when one is set.

    The header is trusted only when HOTLINE_CLIENT_ADDRESS_HEADER names it (the proxy in front sets it);
    otherwise anyone could send X-Forwarded-For and pick a fresh address for every guess. The last
    entry is the one our proxy appended; earlier ones come from the client and prove nothing.
    """
    if request is None:
        return None
    header = settings.HOTLINE_CLIENT_ADDRESS_HEADER
    if header:
        value = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        candidate = value.split(",")[-1].strip()
        if _valid_address(candidate):
            return candidate
    remote = request.META.get("REMOTE_ADDR", "")
    return remote if _valid_address(remote) else None


def _valid_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
