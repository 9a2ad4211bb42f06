"""The shared drill-downs every report links its figures to: `calls`, `visits`, `handlings`, `orders` and
`callbacks` (the vocabulary of docs/reports.md). Each takes the figure's parameters as strings, checks
every one (an unknown parameter or a value that names nothing is a translated ValidationError, never an
empty list), and returns the rows as a lazy, sliceable source: the page reads 100 of them, the Excel
export streams them all.

`start` and `end` are ISO 8601 times, half open, on the rows' own time (a call's arrival, a visit's entry,
a handling's answer, an order's or a callback's creation).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet, TextChoices
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.calls.models import CallbackReason, CallbackStatus, Direction, Outcome
from hotline.reports.drill import DrillRows, register
from hotline.reports.models import CallFact, HandlingFact, VisitFact
from hotline.reports.tables import Column

VISIT_RESULTS = ("answered", "abandoned", "callback", "transferred", "overflow", "waiting")


class RowSource:
    """Rows read lazily from a queryset: `source[a:b]` reads one page, iterating streams them all.
    `convert` turns a model row into the dict keyed by the drill's columns."""

    def __init__(self, queryset: QuerySet[Any], convert: Callable[[Any], dict[str, Any]]) -> None:
        self.queryset, self.convert = queryset, convert

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        return [self.convert(row) for row in self.queryset[window]]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self.convert(row) for row in self.queryset.iterator(chunk_size=2000))


# ---------------------------------------------------------------- parameters

class Params:
    """A drill's parameters, read one by one; `done()` refuses any the drill did not read."""

    def __init__(self, params: dict[str, str], allowed: set[str]) -> None:
        unknown = sorted(set(params) - allowed)
        if unknown:
            raise ValidationError(_("Unknown filter: %(name)s") % {"name": unknown[0][:40]}, code="unknown_filter")
        self.params = params

    def get(self, name: str) -> str | None:
        value = self.params.get(name)
        return None if value is None or value == "" else value.strip()

    def time(self, name: str) -> datetime.datetime | None:
        text = self.get(name)
        if text is None:
            return None
        try:
            moment = datetime.datetime.fromisoformat(text.replace(" ", "+") if "T" in text else text)
        except ValueError:
            raise _bad(name, text) from None
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment)

    def flag(self, name: str) -> bool | None:
        text = self.get(name)
        if text is None:
            return None
        if text not in ("0", "1"):
            raise _bad(name, text)
        return text == "1"

    def choices(self, name: str, values: list[str] | tuple[str, ...], blank: str | None = None) -> list[str] | None:
        """A comma list of allowed values; `blank` is the word that stands for the empty value."""
        text = self.get(name)
        if text is None:
            return None
        picked = [part.strip() for part in text.split(",") if part.strip()]
        allowed = set(values) | ({blank} if blank else set())
        wrong = [part for part in picked if part not in allowed]
        if wrong or not picked:
            raise _bad(name, wrong[0] if wrong else text)
        return ["" if part == blank else part for part in picked]

    def object_id(self, name: str, model: type[Model], none: bool = False) -> int | str | None:
        """The id of an existing row of `model`; "none" (when allowed) for rows without one."""
        text = self.get(name)
        if text is None:
            return None
        if none and text == "none":
            return "none"
        if not text.isdigit() or not model._default_manager.filter(pk=int(text)).exists():
            raise _bad(name, text)
        return int(text)

    def period(self, queryset: QuerySet[Any], field: str) -> QuerySet[Any]:
        start, end = self.time("start"), self.time("end")
        if start is not None and end is not None and end < start:
            raise ValidationError(_("The drill-down ends before it starts: swap start and end."), code="reversed")
        if start is not None:
            queryset = queryset.filter(**{f"{field}__gte": start})
        if end is not None:
            queryset = queryset.filter(**{f"{field}__lt": end})
        return queryset


def _bad(name: str, value: str) -> ValidationError:
    return ValidationError(_("Unknown value for %(name)s: %(value)s") % {"name": name, "value": value[:40]},
                           code="bad_value")


def _values(choices: type[TextChoices]) -> list[str]:
    return [str(value) for value in choices.values]


def _queue(params: Params, queryset: QuerySet[Any], field: str = "queue") -> QuerySet[Any]:
    from hotline.calls.models import Queue

    name = params.get("queue")
    if name is None:
        return queryset
    # A queue named in the facts but since deleted still drills down; a name that is nowhere is an error.
    if not Queue.objects.filter(name=name).exists() and not queryset.filter(**{field: name}).exists():
        raise _bad("queue", name)
    return queryset.filter(**{field: name})


def _by_id(params: Params, queryset: QuerySet[Any], name: str, field: str, model: type[Model],
           none: bool = True) -> QuerySet[Any]:
    found = params.object_id(name, model, none=none)
    if found is None:
        return queryset
    if found == "none":
        return queryset.filter(**{f"{field}__isnull": True})
    return queryset.filter(**{f"{field}_id": found})


def _seconds(ms: int | None) -> Fraction | None:
    return None if ms is None else Fraction(ms, 1000)


def call_link(call_id: str) -> str:
    """The call's record in the back office (the admin list, searched by the exact call id)."""
    return f"{reverse('admin:calls_callrecord_changelist')}?q={call_id}"


def _labels(choices: type[TextChoices]) -> dict[str, str]:
    return {str(value): str(label) for value, label in choices.choices}


# ---------------------------------------------------------------- calls

@register("calls")
def calls(raw: dict[str, str]) -> DrillRows:
    """The calls (CallFact) that arrived in [start, end) and match every given parameter."""
    from hotline.media.models import Airing, HotlineNumber, Station

    params = Params(raw, {"start", "end", "queue", "agent", "airing", "station", "hotline_number", "outcome",
                          "direction", "ivr_last_node", "callback"})
    rows = params.period(CallFact.objects.all(), "arrived_at")
    rows = _queue(params, rows)
    if (agent := params.get("agent")) is not None:
        rows = rows.filter(agent_key=agent)
    rows = _by_id(params, rows, "airing", "airing", Airing)
    rows = _by_id(params, rows, "station", "station", Station)
    rows = _by_id(params, rows, "hotline_number", "hotline_number", HotlineNumber, none=False)
    if (outcomes := params.choices("outcome", _values(Outcome), blank="open")) is not None:
        rows = rows.filter(outcome__in=outcomes)
    if (directions := params.choices("direction", _values(Direction))) is not None:
        rows = rows.filter(direction__in=directions)
    if (node := params.get("ivr_last_node")) is not None:
        rows = rows.filter(ivr_last_node=node)
    if (callback := params.flag("callback")) is not None:
        rows = rows.filter(callback_id__isnull=not callback)
    rows = rows.select_related("airing__station", "station", "hotline_number").order_by("arrived_at", "id")
    outcome, direction = _labels(Outcome), _labels(Direction)

    def convert(fact: CallFact) -> dict[str, Any]:
        return {"call_id": fact.call_id, "arrived_at": fact.arrived_at, "direction": direction.get(fact.direction, ""),
                "caller": fact.caller, "hotline_number": fact.hotline_number.number if fact.hotline_number else "",
                "airing": str(fact.airing) if fact.airing else "", "station": fact.station.name if fact.station else "",
                "outcome": outcome.get(fact.outcome, _("open")), "queue": fact.queue, "agent": fact.agent_key,
                "wait": _seconds(fact.wait_ms), "talk": _seconds(fact.talk_ms), "ivr_last_node": fact.ivr_last_node,
                "callback_id": "" if fact.callback_id is None else str(fact.callback_id),
                "_link": {"call_id": call_link(fact.call_id)}}

    columns = [Column("call_id", _("Call"), "text"), Column("arrived_at", _("Arrived at"), "datetime"),
               Column("direction", _("Direction"), "text"), Column("caller", _("Caller"), "text"),
               Column("hotline_number", _("Hotline number"), "text"), Column("airing", _("Airing"), "text"),
               Column("station", _("Station"), "text"), Column("outcome", _("Outcome"), "text"),
               Column("queue", _("Queue"), "text"), Column("agent", _("Agent"), "text"),
               Column("wait", _("Wait (s)"), "seconds"), Column("talk", _("Talk (s)"), "seconds"),
               Column("ivr_last_node", _("Last IVR node"), "text"), Column("callback_id", _("Callback"), "text")]
    return DrillRows(_("Calls"), columns, RowSource(rows, convert), rows.count())


# ---------------------------------------------------------------- queue visits

@register("visits")
def visits(raw: dict[str, str]) -> DrillRows:
    """The queue visits (VisitFact) that entered a queue in [start, end) and match every parameter."""
    from hotline.media.models import Airing, HotlineNumber

    params = Params(raw, {"start", "end", "queue", "agent", "airing", "hotline_number", "result", "short", "within"})
    rows = params.period(VisitFact.objects.all(), "entered_at")
    rows = _queue(params, rows)
    if (agent := params.get("agent")) is not None:
        rows = rows.filter(agent_key=agent)
    rows = _by_id(params, rows, "airing", "airing", Airing)
    rows = _by_id(params, rows, "hotline_number", "hotline_number", HotlineNumber, none=False)
    if (results := params.choices("result", VISIT_RESULTS[:-1], blank="waiting")) is not None:
        rows = rows.filter(result__in=results)
    if (short := params.flag("short")) is not None:
        rows = rows.filter(short=short)
    if (within := params.flag("within")) is not None:
        rows = rows.filter(within=within)
    rows = rows.order_by("entered_at", "id")

    def convert(fact: VisitFact) -> dict[str, Any]:
        return {"call_id": fact.call_id, "seq": fact.seq, "queue": fact.queue, "entered_at": fact.entered_at,
                "result": fact.result or _("waiting"), "wait": _seconds(fact.wait_ms),
                "within": _("yes") if fact.within else _("no"), "short": _("yes") if fact.short else _("no"),
                "agent": fact.agent_key, "_link": {"call_id": call_link(fact.call_id)}}

    columns = [Column("call_id", _("Call"), "text"), Column("seq", _("Visit"), "int"),
               Column("queue", _("Queue"), "text"), Column("entered_at", _("Entered at"), "datetime"),
               Column("result", _("Result"), "text"), Column("wait", _("Wait (s)"), "seconds"),
               Column("within", _("Within the threshold"), "text"), Column("short", _("Short abandon"), "text"),
               Column("agent", _("Agent"), "text")]
    return DrillRows(_("Queue visits"), columns, RowSource(rows, convert), rows.count())


# ---------------------------------------------------------------- agent handlings

@register("handlings")
def handlings(raw: dict[str, str]) -> DrillRows:
    """The agents' handlings (HandlingFact) answered in [start, end) that match every parameter."""
    from hotline.media.models import Airing

    params = Params(raw, {"start", "end", "queue", "agent", "airing", "ended"})
    rows = params.period(HandlingFact.objects.all(), "answered_at")
    rows = _queue(params, rows)
    if (agent := params.get("agent")) is not None:
        rows = rows.filter(agent_key=agent)
    rows = _by_id(params, rows, "airing", "airing", Airing)
    if (ended := params.flag("ended")) is not None:
        rows = rows.filter(ended=ended)
    rows = rows.order_by("answered_at", "id")

    def convert(fact: HandlingFact) -> dict[str, Any]:
        return {"call_id": fact.call_id, "seq": fact.seq, "queue": fact.queue, "agent": fact.agent_key,
                "answered_at": fact.answered_at, "ended": _("yes") if fact.ended else _("no"),
                "talk": _seconds(fact.talk_ms), "hold": _seconds(fact.hold_ms), "acw": _seconds(fact.acw_ms),
                "_link": {"call_id": call_link(fact.call_id)}}

    columns = [Column("call_id", _("Call"), "text"), Column("seq", _("Handling"), "int"),
               Column("queue", _("Queue"), "text"), Column("agent", _("Agent"), "text"),
               Column("answered_at", _("Answered at"), "datetime"), Column("ended", _("Ended"), "text"),
               Column("talk", _("Talk (s)"), "seconds"), Column("hold", _("Hold (s)"), "seconds"),
               Column("acw", _("After-call work (s)"), "seconds")]
    return DrillRows(_("Agent handlings"), columns, RowSource(rows, convert), rows.count())


# ---------------------------------------------------------------- orders

@register("orders")
def orders(raw: dict[str, str]) -> DrillRows:
    """The orders created in [start, end) that match every parameter. `station` is the order's airing's
    station, else its hotline number's; `product` keeps orders with a paid line of it (gifts excluded)."""
    from django.db.models import Q

    from hotline.accounts.models import User
    from hotline.catalog.models import Product
    from hotline.media.models import Airing, Station
    from hotline.orders.models import Order, PaymentMethod, Status

    params = Params(raw, {"start", "end", "airing", "station", "agent", "status", "product", "province",
                          "payment_method", "from_call"})
    rows = params.period(Order.objects.all(), "created_at")
    rows = _by_id(params, rows, "airing", "airing", Airing)
    station = params.object_id("station", Station, none=True)
    if station == "none":
        rows = rows.filter(Q(airing__isnull=True) | Q(airing__station__isnull=True),
                           Q(hotline_number__isnull=True) | Q(hotline_number__station__isnull=True))
    elif station is not None:
        rows = rows.filter(Q(airing__station_id=station) | Q(airing__isnull=True, hotline_number__station_id=station))
    if (agent := params.get("agent")) is not None:
        if not User.objects.filter(username=agent).exists():
            raise _bad("agent", agent)
        rows = rows.filter(agent__username=agent)
    if (statuses := params.choices("status", _values(Status))) is not None:
        rows = rows.filter(status__in=statuses)
    if (product := params.object_id("product", Product)) is not None:
        rows = rows.filter(pk__in=_orders_with_product(int(product)))
    if (province := params.get("province")) is not None:
        rows = rows.filter(province=province)
    if (methods := params.choices("payment_method", _values(PaymentMethod))) is not None:
        rows = rows.filter(payment_method__in=methods)
    if (from_call := params.flag("from_call")) is not None:
        rows = rows.exclude(call_id="") if from_call else rows.filter(call_id="")
    rows = rows.select_related("airing__station", "agent", "hotline_number").order_by("created_at", "id")
    status = _labels(Status)
    payment = _labels(PaymentMethod)

    def convert(order: Order) -> dict[str, Any]:
        link = reverse("admin:orders_order_change", args=[order.pk])
        return {"number": order.number, "created_at": order.created_at, "status": status.get(order.status, ""),
                "total": order.total, "province": order.province,
                "payment_method": payment.get(order.payment_method, ""),
                "airing": str(order.airing) if order.airing else "",
                "agent": order.agent.username if order.agent else "", "call_id": order.call_id,
                "_link": {"number": link, **({"call_id": call_link(order.call_id)} if order.call_id else {})}}

    columns = [Column("number", _("Order"), "text"), Column("created_at", _("Created at"), "datetime"),
               Column("status", _("Status"), "text"), Column("total", _("Total"), "money"),
               Column("province", _("Province"), "text"), Column("payment_method", _("Payment"), "text"),
               Column("airing", _("Airing"), "text"), Column("agent", _("Agent"), "text"),
               Column("call_id", _("Call"), "text")]
    return DrillRows(_("Orders"), columns, RowSource(rows, convert), rows.count())


def _orders_with_product(product: int) -> QuerySet[Any]:
    from hotline.orders.models import OrderLine

    return OrderLine.objects.filter(product_id=product, is_gift=False).values("order_id")


# ---------------------------------------------------------------- callbacks

@register("callbacks")
def callbacks(raw: dict[str, str]) -> DrillRows:
    """The callbacks captured in [start, end) that match every parameter."""
    from hotline.calls.models import Callback
    from hotline.media.models import Airing

    params = Params(raw, {"start", "end", "airing", "status", "reason"})
    rows = params.period(Callback.objects.all(), "captured_at")
    rows = _by_id(params, rows, "airing", "airing", Airing)
    if (statuses := params.choices("status", _values(CallbackStatus))) is not None:
        rows = rows.filter(status__in=statuses)
    if (reasons := params.choices("reason", _values(CallbackReason))) is not None:
        rows = rows.filter(reason__in=reasons)
    rows = rows.select_related("airing__station").order_by("captured_at", "id")
    status, reason = _labels(CallbackStatus), _labels(CallbackReason)

    def convert(callback: Callback) -> dict[str, Any]:
        links = {"id": reverse("admin:calls_callback_change", args=[callback.pk])}
        if callback.call_id:
            links["call_id"] = call_link(callback.call_id)
        return {"id": str(callback.pk), "captured_at": callback.captured_at, "number": callback.number,
                "reason": reason.get(callback.reason, ""), "status": status.get(callback.status, ""),
                "airing": str(callback.airing) if callback.airing else "", "call_id": callback.call_id,
                "dial_attempts": callback.dial_attempts, "_link": links}

    columns = [Column("id", _("Callback"), "text"), Column("captured_at", _("Captured at"), "datetime"),
               Column("number", _("Caller"), "text"), Column("reason", _("Reason"), "text"),
               Column("status", _("Status"), "text"), Column("airing", _("Airing"), "text"),
               Column("call_id", _("Call"), "text"), Column("dial_attempts", _("Dial attempts"), "int")]
    return DrillRows(_("Callbacks"), columns, RowSource(rows, convert), rows.count())


# ---------------------------------------------------------------- the parameters as people read them

def describe(params: dict[str, str]) -> list[tuple[str, str]]:
    """The drill-down's parameters for its page's heading: times in local time, an airing, station or
    hotline number by its name; anything else as given (the drill itself has checked them)."""
    from hotline.media.models import Airing, HotlineNumber, Station

    labels = {"start": _("From"), "end": _("Until"), "airing": _("Airing"), "station": _("Station"),
              "hotline_number": _("Hotline number"), "queue": _("Queue"), "agent": _("Agent"),
              "outcome": _("Outcome"), "status": _("Status"), "result": _("Result"), "product": _("Product")}
    models: dict[str, type[Model]] = {"airing": Airing, "station": Station, "hotline_number": HotlineNumber}
    found = []
    for key, value in params.items():
        text = value
        if key in ("start", "end"):
            try:
                moment = datetime.datetime.fromisoformat(value.replace(" ", "+") if "T" in value else value)
                text = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(moment) else value
            except ValueError:
                pass
        elif key in models and value.isdigit():
            row = models[key]._default_manager.filter(pk=int(value)).first()
            text = str(row) if row is not None else value
        elif key in models and value == "none":
            text = _("none")
        found.append((str(labels.get(key, key)), text))
    return found
