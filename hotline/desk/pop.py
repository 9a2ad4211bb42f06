"""The screen pop (来电弹屏): everything an agent needs about a caller, read when the call is offered.

It is built from the offer's own facts (caller, dialled number, attributed airing), so the look-up is a
handful of indexed queries whatever the size of the customer base: the number's customers, their last
orders, open complaints, recent contacts, saved addresses, the airing and the scripts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone, translation

from hotline.accounts.models import User
from hotline.accounts.permissions import Perm
from hotline.calls.models import Callback, Recording
from hotline.crm.models import Credit, Customer, Level
from hotline.crm.queries import blacklist_action, customers_by_phone
from hotline.lib.phones import PhoneInfo, normalize_phone, phone_info
from hotline.media.models import Airing
from hotline.media.queries import hotline_number_by_dnis
from hotline.orders.models import Order, OrderLine
from hotline.service.queries import open_complaints, recent_contacts, render_script, scripts_for

LAST_ORDERS = 5
LAST_RECORDINGS = 5
LAST_CONTACTS = 5
RECENT_SECONDS = 30.0  # how stale an airing or a script may be on a pop (an edit shows within 30 s)
RECENT_ENTRIES = 500


@dataclass(frozen=True)
class Offered:
    """The facts of an offered (or answered, or dialled) call that the pop is built from."""

    call_id: str
    caller: str
    dnis: str = ""
    airing_id: int | None = None
    warning: str = ""
    callback_id: int | None = None
    direction: str = "inbound"
    queue: str = ""
    blacklist_checked: bool = False  # the engine checked the number when it offered the call (`warning`)

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Offered:
        return cls(call_id=str(event.get("call_id", "")), caller=str(event.get("caller", "")),
                   dnis=str(event.get("dnis", "")), airing_id=event.get("airing_id"),
                   warning=str(event.get("warning", "")), callback_id=event.get("callback_id"),
                   direction=str(event.get("direction", "inbound")), queue=str(event.get("queue", "")),
                   blacklist_checked=event.get("type") == "Offer")


def _normal(raw: str) -> str | None:
    try:
        return normalize_phone(raw)
    except ValidationError:
        return None


def _number(raw: str) -> tuple[str, PhoneInfo | None]:
    number = _normal(raw)
    return (raw, None) if number is None else (number, phone_info(number))


class _Recent:
    """A few seconds' memory of reads every pop of a spot repeats (its airing, its scripts): the hundreds of
    pops after one airing all ask the same, and each saved query is a millisecond on the caller's pop."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, read: Callable[[], Any]) -> Any:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        value = read()
        with self._lock:
            if len(self._entries) > RECENT_ENTRIES:
                self._entries.clear()
            self._entries[key] = (now + self.seconds, value)
        return value


    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_recent = _Recent(RECENT_SECONDS)


def forget_recent() -> None:
    """Drop the remembered airings and scripts (tests: a new database reuses their ids)."""
    _recent.clear()


def _airing(offered: Offered) -> Airing | None:
    if offered.airing_id is None:
        return None
    airing_id = offered.airing_id
    return _recent.get(("airing", airing_id), lambda: Airing.objects.select_related("station", "product")
                       .filter(pk=airing_id).first())


def _callback(offered: Offered) -> Callback | None:
    """The callback an outbound call works (an inbound call is never a callback's dial)."""
    if offered.callback_id is not None:
        return Callback.objects.filter(pk=offered.callback_id).first()
    if offered.direction != "outbound":
        return None
    return Callback.objects.filter(last_call_id=offered.call_id).first()


def _customer_part(customer: Customer | None) -> dict[str, Any]:
    if customer is None:
        return {"customer": None, "orders": [], "addresses": [], "complaints": []}
    lines = Prefetch("lines", queryset=OrderLine.objects.select_related("product"))
    orders = list(Order.objects.filter(customer=customer).order_by("-created_at").prefetch_related(lines)
                  [:LAST_ORDERS])
    return {"customer": customer, "orders": orders, "addresses": list(customer.addresses.all()),
            "complaints": open_complaints(customer), "now": timezone.now()}  # now: which complaints are overdue


def _warnings(customer: Customer | None, blacklist: str | None) -> list[str]:
    """Codes the template turns into coloured badges: vip, credit_watch / credit_bad, blacklist."""
    warnings = []
    if blacklist:
        warnings.append("blacklist")
    if customer is not None:
        if customer.level != Level.NORMAL:
            warnings.append("vip")
        if customer.credit != Credit.GOOD:
            warnings.append(f"credit_{customer.credit}")
    return warnings


def _blacklist(offered: Offered, number: str) -> str | None:
    if offered.blacklist_checked:  # the engine looked the number up before offering the call
        return offered.warning or None
    return offered.warning or blacklist_action(number)


def _media(offered: Offered) -> dict[str, Any]:
    """The airing the call is attributed to, its product and station; the hotline number only when no
    airing names the station (one query less on the usual path)."""
    airing = _airing(offered)
    hotline = None
    if airing is None and offered.dnis:
        hotline = hotline_number_by_dnis(offered.dnis)
    station = airing.station if airing is not None else (hotline.station if hotline is not None else None)
    number = (_normal(offered.dnis) or offered.dnis) if offered.dnis else ""  # no region look-up: only its form
    return {"airing": airing, "product": airing.product if airing is not None else None, "station": station,
            "hotline_number": number}


def pop_context(offered: Offered, user: User) -> dict[str, Any]:
    """What the pop template shows, and what the order form is prefilled with."""
    number, info = _number(offered.caller)
    matches = customers_by_phone(number) if info is not None else []
    customer = matches[0] if matches else None
    media = _media(offered)
    product = media["product"]
    product_id = product.pk if product else None
    found = _recent.get(("scripts", product_id, offered.dnis),
                        lambda: scripts_for(product_id=product_id, hotline=offered.dnis))
    scripts = [(script.title, render_script(script, customer=customer, product=product, hotline=offered.dnis,
                                            agent=user)) for script in found]
    can_play = user.has_perm(Perm.VIEW_CALLS)
    recordings = (list(Recording.objects.filter(call__caller=number).select_related("call")
                       .order_by("-created_at")[:LAST_RECORDINGS]) if info is not None and can_play else [])
    contacts = recent_contacts([number], limit=LAST_CONTACTS + 1) if info is not None else []
    return {
        "offered": offered, "number": number, "phone": info, "other_matches": len(matches) - 1 if matches else 0,
        **_customer_part(customer), **media,
        "warnings": _warnings(customer, _blacklist(offered, number)),
        "contacts": [c for c in contacts if c["call_id"] != offered.call_id][:LAST_CONTACTS],
        "callback": _callback(offered), "scripts": scripts, "recordings": recordings, "can_play": can_play,
    }


def order_prefill(context: dict[str, Any]) -> dict[str, Any]:
    """What the order form starts with: the customer, their default address, the product that aired."""
    customer: Customer | None = context["customer"]
    product = context["product"]
    phone: PhoneInfo | None = context["phone"]
    addresses = context["addresses"]
    return {
        "call_id": context["offered"].call_id,
        "queue": context["offered"].queue,
        "hotline_number": context["hotline_number"],
        "customer_id": customer.pk if customer is not None else None,
        "customer_name": customer.name if customer is not None else "",
        "phone": context["number"],
        "region": phone.region if phone is not None else "",
        "addresses": [{"id": a.pk, "text": str(a)} for a in addresses],
        "address_id": addresses[0].pk if addresses else None,
        "product": None if product is None else {
            "id": product.pk, "code": product.short_code, "name": product.name, "price": str(product.price)},
    }


def render_pop(offered: Offered, user: User, language: str) -> dict[str, Any]:
    """The pop as a message for the desk: its HTML in the agent's language, and the order prefill."""
    with translation.override(language):  # the scripts' salutation and the contacts' labels too
        context = pop_context(offered, user)
        html = render_to_string("desk/pop.html", context)
    return {"type": "pop", "call_id": offered.call_id, "direction": offered.direction, "html": html,
            "order": order_prefill(context)}
