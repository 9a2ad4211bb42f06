"""The engine's `Directory` port on the ORM: routing, attribution, seat credentials, agent <-> seat.

The registrar checks digest credentials synchronously inside the SIP datagram callback, where no
database call may happen; `SeatCredentialCache` holds every seat's HA1 in memory, loaded at start and
reloaded after any seat write (the `calls.seat_changed` event).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import threading
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from hotline.calls.actions import normalize_caller
from hotline.calls.models import CallRecord, NumberRoute, Seat
from hotline.calls.seats import SEAT_CHANGED, digest_ha1
from hotline.crm.models import Level
from hotline.crm.queries import blacklist_action, customer_by_phone
from hotline.lib import bus
from hotline.media.models import HotlineNumber
from hotline.media.queries import attribute, hotline_number_by_dnis
from hotline.simulate import DEMO_SIP_PASSWORD
from hotline.telephony.ivr.phrases import AIRING_WELCOME
from hotline.telephony.ports import Attribution, CallerProfile, Route, SeatCredentials

DEFAULT_FLOW = "demo"
log = logging.getLogger(__name__)


def _credentials(seat: Seat) -> SeatCredentials:
    return SeatCredentials(seat=seat.name, username=seat.sip_username, realm=seat.realm, ha1=seat.ha1,
                           fixed_uri=seat.fixed_uri)


class DemoPasswordError(ImproperlyConfigured):
    """Seats still have the demo's shared SIP password outside the demo."""


def seats_with_demo_password() -> list[str]:
    """The seats whose SIP password is the demo's, which every seat of the demo shares and anyone can read."""
    return [seat.name for seat in Seat.objects.exclude(ha1="").order_by("name")
            if seat.ha1 == digest_ha1(seat.sip_username, seat.realm, DEMO_SIP_PASSWORD)]


def refuse_demo_passwords() -> None:
    """Outside the demo (and tests), an engine must not start while any seat has the demo password: anyone
    who has seen the demo could register as that seat and take its calls."""
    if settings.DEMO or settings.TESTING:
        return
    seats = seats_with_demo_password()
    if seats:
        raise DemoPasswordError(
            f"Refusing to start: seats {', '.join(seats)} have the demo SIP password; give each its own "
            "(admin → Seats → SIP password)."
        )


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class SeatCredentialCache:
    """Every seat's credentials by SIP user name, for synchronous look-ups (the registrar's)."""

    def __init__(self) -> None:
        self._by_username: dict[str, SeatCredentials] | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Read all seats now (sync: call from a thread where the ORM is allowed)."""
        fresh = {seat.sip_username: _credentials(seat) for seat in Seat.objects.all()}
        with self._lock:
            self._by_username = fresh

    def invalidate(self, topic: str = "", payload: dict[str, Any] | None = None) -> None:
        """Reload after a seat write. A `hotline.lib.bus` listener: it runs in the writer's (sync) thread
        after the commit, so the engine's loop never waits for the database."""
        try:
            self.load()
        except Exception:  # keep serving the credentials we have; the next seat write tries again
            log.exception("reloading the seats' credentials failed")

    def get(self, username: str) -> SeatCredentials | None:
        """The credentials of `username` from memory (loaded by `load()` before the engine starts).

        Never touches the database from an event loop: before the first load, a look-up on a loop
        finds nothing (the phone is challenged again) rather than blocking every call in progress.
        """
        with self._lock:
            cached = self._by_username
        if cached is None and not _on_event_loop():
            self.load()
            with self._lock:
                cached = self._by_username
        return (cached or {}).get(username)

    def ha1(self, username: str, realm: str) -> str | None:
        """HA1 of `username` in `realm`; None for an unknown user, another realm, or a seat with no password."""
        found = self.get(username)
        if found is None or found.realm != realm or not found.ha1:
            return None
        return found.ha1


def _route(dnis: str) -> Route | None:
    number = hotline_number_by_dnis(dnis)
    if number is None or not number.active:
        return None
    airing_queue = _airing_queue(number)
    if airing_queue:  # the viewers of a spot are impulse buyers: no menu, a short welcome, the queue
        return Route(hotline_number=number.number, queue=airing_queue, greeting=(AIRING_WELCOME,))
    found = NumberRoute.objects.filter(hotline_number=number).select_related("queue").first()
    if found is None:
        return Route(hotline_number=number.number, flow=DEFAULT_FLOW)
    return Route(hotline_number=number.number, flow=found.flow, queue=found.queue.name if found.queue else "")


def _airing_queue(number: HotlineNumber) -> str:
    """The queue `number` sends its callers straight to now, or "": it is set to skip its menu, and a call
    now would be attributed to one of its airings (on air, or within the attribution window after)."""
    queue = number.airing_queue
    if not number.skip_menu_during_airing or queue is None or attribute(number, timezone.now()) is None:
        return ""
    return queue.name


def _attribute(dnis: str, at: datetime.datetime) -> Attribution:
    airing = attribute(hotline_number_by_dnis(dnis), at)
    if airing is None:
        return Attribution(airing_id=None)
    return Attribution(airing_id=airing.pk, station=airing.station.code)


LAST_AGENT_DAYS = 30  # a caller's "last agent" is the one who answered them within this many days


def _caller_profile(caller: str) -> CallerProfile:
    customer = customer_by_phone(caller) if caller else None
    number = normalize_caller(caller)
    since = timezone.now() - datetime.timedelta(days=LAST_AGENT_DAYS)
    last = (CallRecord.objects.filter(caller=number, arrived_at__gte=since).exclude(agent_key="")
            .order_by("-arrived_at").values_list("agent_key", flat=True).first()) if number else None
    # One indexed look-up on the number; the engine rejects or warns before the call reaches a queue.
    blacklist = blacklist_action(caller) if caller else None
    return CallerProfile(vip=customer is not None and customer.level == Level.VIP, last_agent=last or "",
                         blacklist=blacklist or "", number=number)


def _seat_of_agent(agent: str) -> str | None:
    return Seat.objects.filter(agent__username=agent).values_list("name", flat=True).first() if agent else None


def _agent_at_seat(seat: str) -> str | None:
    return Seat.objects.filter(name=seat, agent__isnull=False).values_list("agent__username", flat=True).first()


class OrmDirectory:
    """`hotline.telephony.ports.Directory` on the ORM; each call runs in Django's sync thread."""

    def __init__(self, cache: SeatCredentialCache | None = None) -> None:
        self.credentials = cache or SeatCredentialCache()
        bus.subscribe(SEAT_CHANGED, self.credentials.invalidate)

    def close(self) -> None:
        """Stop listening for seat changes."""
        bus.unsubscribe(SEAT_CHANGED, self.credentials.invalidate)

    async def route(self, dnis: str) -> Route | None:
        return await sync_to_async(_route, thread_sensitive=True)(dnis)

    async def attribute(self, dnis: str, at: datetime.datetime) -> Attribution:
        return await sync_to_async(_attribute, thread_sensitive=True)(dnis, at)

    async def caller_profile(self, caller: str) -> CallerProfile:
        return await sync_to_async(_caller_profile, thread_sensitive=True)(caller)

    async def seat_credentials(self, username: str) -> SeatCredentials | None:
        return await sync_to_async(self.credentials.get, thread_sensitive=True)(username)

    async def seat_of_agent(self, agent: str) -> str | None:
        return await sync_to_async(_seat_of_agent, thread_sensitive=True)(agent)

    async def agent_at_seat(self, seat: str) -> str | None:
        return await sync_to_async(_agent_at_seat, thread_sensitive=True)(seat)
