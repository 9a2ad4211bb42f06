"""Every write on seats: create one, set its phone's password (kept as digest HA1), log an agent in and out.

Each write clears the synchronous credential cache after commit, so the registrar never answers with a
password that was just changed (see `hotline.calls.host.directory.SeatCredentialCache`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from hotline.accounts.actions import do_save_object
from hotline.accounts.audit import record, snapshot
from hotline.accounts.models import User
from hotline.calls.models import Seat
from hotline.lib.bus import publish_on_commit

SEAT_CHANGED = "calls.seat_changed"
MIN_PASSWORD_LENGTH = 8


def digest_ha1(username: str, realm: str, password: str) -> str:
    """HA1 of RFC 2617 digest authentication: MD5 of `username:realm:password`, as hex."""
    return hashlib.md5(f"{username}:{realm}:{password}".encode()).hexdigest()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH or not password.isprintable() or '"' in password:
        raise ValidationError({"password": _("A SIP password has at least 8 printable characters, no quotes.")})


@transaction.atomic
def do_create_seat(name: str, sip_username: str, password: str, *, actor: Any, realm: str = "hotline",
                   fixed_uri: str = "") -> Seat:
    """A new seat whose phone registers as `sip_username` with `password` (only its HA1 is kept)."""
    _check_password(password)
    seat = Seat(name=name, sip_username=sip_username, realm=realm, fixed_uri=fixed_uri,
                ha1=digest_ha1(sip_username, realm, password))
    seat.full_clean()
    seat.save()
    record("create_seat", seat, actor=actor, after=snapshot(seat))
    publish_on_commit(SEAT_CHANGED, {"seat": seat.name})
    return seat


@transaction.atomic
def do_set_seat_password(seat: Seat, password: str, *, actor: Any) -> Seat:
    """Give the seat's phone a new digest password; the old one stops working at once."""
    _check_password(password)
    before = snapshot(seat)
    seat.ha1 = digest_ha1(seat.sip_username, seat.realm, password)
    seat.save(update_fields=["ha1"])
    record("set_seat_password", seat, actor=actor, before=before, after=snapshot(seat))
    publish_on_commit(SEAT_CHANGED, {"seat": seat.name})
    return seat


@transaction.atomic
def do_log_in_to_seat(seat: Seat, agent: User, *, actor: Any) -> Seat:
    """Log `agent` in at `seat`, leaving any seat they held; a seat someone else holds is refused."""
    seat = Seat.objects.select_for_update().get(pk=seat.pk)
    if seat.agent_id not in (None, agent.pk):
        raise ValidationError({"seat": _("Someone else is logged in at this seat.")})
    before = snapshot(seat)
    Seat.objects.filter(agent=agent).exclude(pk=seat.pk).update(agent=None)
    seat.agent = agent
    seat.save(update_fields=["agent"])
    record("log_in_to_seat", seat, actor=actor, before=before, after=snapshot(seat))
    publish_on_commit(SEAT_CHANGED, {"seat": seat.name})
    return seat


@transaction.atomic
def do_log_out_of_seat(seat: Seat, *, actor: Any) -> Seat:
    """Free the seat; nothing changes when nobody is logged in."""
    seat = Seat.objects.select_for_update().get(pk=seat.pk)
    if seat.agent_id is None:
        return seat
    before = snapshot(seat)
    seat.agent = None
    seat.save(update_fields=["agent"])
    record("log_out_of_seat", seat, actor=actor, before=before, after=snapshot(seat))
    publish_on_commit(SEAT_CHANGED, {"seat": seat.name})
    return seat


@transaction.atomic
def do_save_seat(seat: Seat, password: str = "", *, actor: Any) -> Seat:
    """Save a seat edited in the back office; `password`, when given, replaces its digest password.

    HA1 binds the user name and realm, so a new seat, or a changed user name or realm, needs a password.
    """
    old = Seat.objects.filter(pk=seat.pk).first() if seat.pk else None
    if not password and (old is None or (old.sip_username, old.realm) != (seat.sip_username, seat.realm)):
        raise ValidationError({"password": _("Set a password for a new seat or a changed user name or realm.")})
    if password:
        _check_password(password)
        seat.ha1 = digest_ha1(seat.sip_username, seat.realm, password)
    do_save_object(seat, actor=actor)
    publish_on_commit(SEAT_CHANGED, {"seat": seat.name})
    return seat
