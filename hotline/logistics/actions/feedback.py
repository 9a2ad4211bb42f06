"""Many tracking events at once — a courier's feedback file (物流反馈) or a push of the courier API — checked
and recorded in bulk, with exactly what `do_record_shipment_event` does for one event.

Recording 100,000 events one by one costs a transition, an audit row and a message per order, each with its
own queries. Here the events go through in chunks: each chunk's parcels are read (and locked) in one query,
checked against `MOVES` in the order given, and what they change is written with a few bulk statements.

The same checker runs for the dry run (`check_feedback`, nothing written) and inside the apply, so the report
a clerk reads is what the apply does. Every problem is listed by its line; the apply writes all the events or,
when asked, only the good ones, always in one transaction.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import F, Field, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.audit import record, snapshot
from hotline.accounts.models import AuditEntry
from hotline.accounts.permissions import Perm
from hotline.crm.models import Customer, CustomerPhone
from hotline.lib.bulk import insert_rows
from hotline.lib.bus import publish
from hotline.logistics.actions.common import require, user_or_none
from hotline.logistics.actions.events import MOVES, RESCUE_EVENTS, next_status
from hotline.logistics.actions.notices import queue_order_notices
from hotline.logistics.models import (
    Courier,
    EventKind,
    EventSource,
    OrderTask,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
    TaskKind,
    TaskOutcome,
    TaskStatus,
)
from hotline.orders.actions import STATUS_MESSAGES
from hotline.orders.models import Order, OrderStatusChange, Status
from hotline.orders.transitions import required_perm

CHUNK = 1000
MAX_LISTED = 1000  # problems listed in a report; the counts cover them all
DETAIL_LENGTH = 200


class Problem:
    """Kinds of problem with one event. Blocking ones keep an "apply all" from running; a duplicate or an
    event already on file changes nothing and is only listed."""

    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    COURIER = "courier"
    MISMATCH = "mismatch"
    CONFLICT = "conflict"
    DUPLICATE = "duplicate"
    RECORDED = "recorded"

    HARMLESS = frozenset({DUPLICATE, RECORDED})


@dataclass(frozen=True)
class FeedbackEvent:
    """One tracking event from a courier: `line` is its row in the file (or index in the request);
    `order_number`, when the file has one, must be the order of the tracking number."""

    line: int
    tracking_number: str
    kind: str
    at: datetime.datetime
    detail: str = ""
    order_number: str = ""


@dataclass(frozen=True)
class Issue:
    """A problem with one line, in words."""

    line: int
    tracking_number: str
    kind: str
    message: str

    @property
    def blocking(self) -> bool:
        return self.kind not in Problem.HARMLESS


@dataclass
class FeedbackResult:
    """What a feedback file or push does (dry run) or did (apply): events per kind, the problems listed
    (the first MAX_LISTED) and counted, and per line outcomes when asked for (the push API)."""

    total: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    problem_counts: Counter[str] = field(default_factory=Counter)
    problems: list[Issue] = field(default_factory=list)
    outcomes: dict[int, Issue | None] | None = None
    applied: bool = False
    orders_changed: int = 0
    rescue_tasks: int = 0

    @property
    def good(self) -> int:
        return sum(self.counts.values())

    @property
    def blocking(self) -> int:
        return sum(n for kind, n in self.problem_counts.items() if kind not in Problem.HARMLESS)

    def add_problem(self, issue: Issue) -> None:
        self.problem_counts[issue.kind] += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(issue)
        if self.outcomes is not None:
            self.outcomes[issue.line] = issue

    def as_dict(self) -> dict[str, Any]:
        """JSON for a job's report."""
        return {"total": self.total, "counts": dict(self.counts), "problem_counts": dict(self.problem_counts),
                "problems": [[p.line, p.tracking_number, p.kind, p.message]
                             for p in sorted(self.problems, key=lambda p: p.line)],
                "applied": self.applied, "good": self.good, "blocking": self.blocking,
                "orders_changed": self.orders_changed, "rescue_tasks": self.rescue_tasks}


@dataclass
class _Parcel:
    """A parcel as the checker sees it: its row's values, changed as the events of the input are checked."""

    row: dict[str, Any]
    rescued: bool
    open_rescue: bool
    known: set[tuple[str, datetime.datetime]]


@dataclass
class _Changes:
    """What the good events of one chunk do, collected for the bulk writes."""

    events: list[tuple[int, str, datetime.datetime, str]] = field(default_factory=list)  # parcel, kind, at, detail
    parcels: dict[int, _Parcel] = field(default_factory=dict)
    transitions: list[tuple[int, str, str]] = field(default_factory=list)  # order id, to status, reason
    rescues: list[OrderTask] = field(default_factory=list)
    closed_rescues: list[int] = field(default_factory=list)  # orders whose open rescue calls a delivery closes


_PARCEL_FIELDS = ("pk", "tracking_number", "status", "courier_id", "courier__name", "order_id", "order__number",
                  "order__status", "order__agent_id", "last_event_at", "delivered_at", "refused_at",
                  "refusal_reason", "returned_at")


class FeedbackChecker:
    """Checks events chunk by chunk, in the order given, as `do_record_shipment_event` would one by one.

    In a dry run (`lock=False`) nothing is written, so the states earlier chunks gave parcels are kept here
    (three small values a parcel); in the apply the database holds them, written chunk by chunk in the same
    transaction. `hide_others`: a parcel of another courier is "unknown" (the push API tells a courier
    nothing about other couriers' parcels)."""

    def __init__(self, result: FeedbackResult, *, courier: Courier | None, lock: bool,
                 hide_others: bool = False) -> None:
        self.result, self.courier, self.lock, self.hide_others = result, courier, lock, hide_others
        self.seen: dict[int, int] = {}  # hash of (tracking, kind, time) -> first line: flat enough for 100k
        self.simulated: dict[int, tuple[str, str, bool]] = {}

    def check(self, chunk: list[FeedbackEvent]) -> _Changes:
        """Check one chunk; problems go to the result, and the good events' changes are returned."""
        parcels = self._parcels({event.tracking_number for event in chunk})
        changes = _Changes()
        for event in chunk:
            parcel = parcels.get(event.tracking_number)
            problem = self._problem(event, parcel)
            if problem is not None:
                self.result.add_problem(Issue(event.line, event.tracking_number, *problem))
                continue
            assert parcel is not None
            self._take(event, parcel, changes)
        if not self.lock:
            for pk, parcel in changes.parcels.items():
                self.simulated[pk] = (parcel.row["status"], parcel.row["order__status"], parcel.open_rescue)
        return changes

    def _parcels(self, trackings: set[str]) -> dict[str, _Parcel]:
        query = Shipment.objects.filter(tracking_number__in=trackings)
        if self.lock:
            query = query.select_for_update(of=("self",))
        rows = {row["pk"]: row for row in query.values(*_PARCEL_FIELDS)}
        known: dict[int, set[tuple[str, datetime.datetime]]] = defaultdict(set)
        for shipment_id, kind, at in ShipmentEvent.objects.filter(shipment_id__in=rows).values_list(
                "shipment_id", "kind", "at"):
            known[shipment_id].add((kind, at))
        rescued = _won_back(rows)
        order_ids = [row["order_id"] for row in rows.values()]
        open_rescue = set(OrderTask.objects.filter(order_id__in=order_ids, kind=TaskKind.RESCUE,
                                                   status=TaskStatus.OPEN).values_list("order_id", flat=True))
        parcels = {}
        for pk, row in rows.items():
            parcel = _Parcel(row, pk in rescued, row["order_id"] in open_rescue, known[pk])
            if pk in self.simulated:
                row["status"], row["order__status"], parcel.open_rescue = self.simulated[pk]
            parcels[row["tracking_number"]] = parcel
        return parcels

    def _problem(self, event: FeedbackEvent, parcel: _Parcel | None) -> tuple[str, str] | None:
        key = hash((event.tracking_number, event.kind, event.at))
        first = self.seen.setdefault(key, event.line)
        if first != event.line:
            return Problem.DUPLICATE, _("The same event as line %(line)d.") % {"line": first}
        other_courier = parcel is not None and self.courier is not None and parcel.row["courier_id"] != self.courier.pk
        if parcel is None or (other_courier and self.hide_others):
            return Problem.UNKNOWN, _("No parcel has the tracking number %(tracking)s.") % {
                "tracking": event.tracking_number}
        row = parcel.row
        if other_courier:
            return Problem.COURIER, _("Parcel %(tracking)s is with %(courier)s, not %(file_courier)s.") % {
                "tracking": event.tracking_number, "courier": row["courier__name"],
                "file_courier": self.courier.name if self.courier else ""}
        if event.order_number and event.order_number != row["order__number"]:
            return Problem.MISMATCH, _("Tracking number %(tracking)s belongs to order %(number)s, not %(given)s.") % {
                "tracking": event.tracking_number, "number": row["order__number"], "given": event.order_number}
        if (event.kind, event.at) in parcel.known:
            return Problem.RECORDED, _("Already recorded.")
        conflict = _conflict(event.kind, parcel)
        return (Problem.CONFLICT, conflict) if conflict else None

    def _take(self, event: FeedbackEvent, parcel: _Parcel, changes: _Changes) -> None:
        """Carry a good event out on the parcel (as `events._apply` does) and note what to write."""
        row, kind, at, detail = parcel.row, event.kind, event.at, event.detail[:DETAIL_LENGTH]
        parcel.known.add((kind, at))
        changes.parcels[row["pk"]] = parcel
        changes.events.append((row["pk"], kind, at, detail))
        self.result.counts[kind] += 1
        row["status"] = next_status(row["status"], kind)
        if row["last_event_at"] is None or at > row["last_event_at"]:
            row["last_event_at"] = at
        if kind == EventKind.DELIVERED:
            row["delivered_at"] = at
            _transition(row, changes, Status.DELIVERED, "")
            if parcel.open_rescue:  # nothing left to win back (as `events.close_rescue_calls`)
                parcel.open_rescue = False
                changes.closed_rescues.append(row["order_id"])
        elif kind == EventKind.REFUSED:
            row["refused_at"], row["refusal_reason"] = at, detail
            parcel.rescued = False  # only a call made after this refusal can win it back
            _transition(row, changes, Status.REFUSED, detail or _("Refused at the door"))
        elif kind == EventKind.RETURNED:
            row["returned_at"] = at
        if kind in RESCUE_EVENTS and not parcel.open_rescue:
            parcel.open_rescue = True
            changes.rescues.append(_rescue_task(row, kind, detail))


# the events that move the order too (through `do_transition_order` in the one-by-one action)
ORDER_STATUS: dict[str, Status] = {EventKind.DELIVERED: Status.DELIVERED, EventKind.REFUSED: Status.REFUSED}


def _won_back(rows: dict[int, dict[str, Any]]) -> set[int]:
    """Parcels a rescue call won back after their refusal (as `events._rescued`): delivered again or at a
    new address, the call closed after the refusal was recorded."""
    calls = OrderTask.objects.filter(shipment_id__in=rows, kind=TaskKind.RESCUE,
                                     outcome__in=(TaskOutcome.REDELIVER, TaskOutcome.ADDRESS))
    learnt: dict[int, datetime.datetime] = {}
    for shipment_id, recorded_at in ShipmentEvent.objects.filter(shipment_id__in=rows, kind=EventKind.REFUSED) \
            .values_list("shipment_id", "recorded_at"):
        learnt[shipment_id] = max(recorded_at, learnt.get(shipment_id, recorded_at))
    return {shipment_id for shipment_id, done_at in calls.values_list("shipment_id", "done_at")
            if shipment_id not in learnt or (done_at is not None and done_at >= learnt[shipment_id])}


def _conflict(kind: str, parcel: _Parcel) -> str:
    """Why the parcel's state (and its order's) forbids this event, or ""; see `events.check_event`."""
    row = parcel.row
    allowed, _target = MOVES[kind]
    refused_unrescued = kind == EventKind.DELIVERED and row["status"] == ShipmentStatus.REFUSED and not parcel.rescued
    if row["status"] not in allowed or refused_unrescued:
        return _("Parcel %(tracking)s is %(state)s: “%(event)s” cannot follow.") % {
            "tracking": row["tracking_number"], "state": ShipmentStatus(row["status"]).label,
            "event": EventKind(kind).label}
    to_status = ORDER_STATUS.get(kind)
    if to_status is not None and required_perm(row["order__status"], to_status) is None:
        return _("Order %(number)s is %(from)s and cannot become %(to)s.") % {
            "number": row["order__number"], "from": Status(row["order__status"]).label, "to": to_status.label}
    return ""


def _transition(row: dict[str, Any], changes: _Changes, to_status: str, reason: str) -> None:
    changes.transitions.append((row["order_id"], to_status, reason))
    row["order__status"] = to_status


def _rescue_task(row: dict[str, Any], kind: str, detail: str) -> OrderTask:
    reason = _("%(event)s (%(courier)s %(tracking)s)%(detail)s") % {
        "event": EventKind(kind).label, "courier": row["courier__name"], "tracking": row["tracking_number"],
        "detail": f": {detail}" if detail else ""}
    return OrderTask(order_id=row["order_id"], shipment_id=row["pk"], kind=TaskKind.RESCUE, urgent=True,
                     reason=reason[:300], assigned_to_id=row["order__agent_id"])


def _chunks(events: Iterable[FeedbackEvent]) -> Iterator[list[FeedbackEvent]]:
    iterator = iter(events)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


Progress = Callable[[int], None]


def check_feedback(events: Iterable[FeedbackEvent], *, courier: Courier | None = None,
                   progress: Progress | None = None, result: FeedbackResult | None = None) -> FeedbackResult:
    """The dry run: what recording these events would do, and every problem, with nothing written."""
    result = result or FeedbackResult()
    checker = FeedbackChecker(result, courier=courier, lock=False)
    for chunk in _chunks(events):
        checker.check(chunk)
        result.total += len(chunk)
        if progress is not None:
            progress(result.total)
    return result


class _Rollback(Exception):
    """Leaves the apply's transaction without a trace when problems forbid applying everything."""


def do_apply_feedback(events: Iterable[FeedbackEvent], *, actor: Any, source: str, courier: Courier | None = None,
                      good_rows: bool = False, progress: Progress | None = None,
                      result: FeedbackResult | None = None,
                      before_commit: Callable[[FeedbackResult], None] | None = None) -> FeedbackResult:
    """Record many tracking events in one transaction, each as `do_record_shipment_event` would (delivered →
    已交付 with points, refused → 拒收 with the reason and an urgent rescue call, messages to customers).

    With any blocking problem (unknown parcel, conflict, wrong order or courier, malformed line — the
    caller adds those to `result` first), nothing is written unless `good_rows`: then the good events are
    recorded and the others skipped. Events already on file change nothing, so applying twice is harmless.
    `before_commit(result)` runs inside the transaction (a job marks itself done there)."""
    require(actor, Perm.RECORD_DELIVERY)
    result = result or FeedbackResult()
    try:
        with transaction.atomic():
            checker = FeedbackChecker(result, courier=courier, lock=True, hide_others=source == EventSource.PUSH)
            for chunk in _chunks(events):
                _write(checker.check(chunk), result, actor=actor, source=source)
                result.total += len(chunk)
                if progress is not None:
                    progress(result.total)
            if result.blocking and not good_rows:
                raise _Rollback
            result.applied = True
            _audit_apply(result, courier, actor=actor, source=source)
            if before_commit is not None:
                before_commit(result)
    except _Rollback:
        result.applied, result.orders_changed, result.rescue_tasks = False, 0, 0
    return result


def _audit_apply(result: FeedbackResult, courier: Courier | None, *, actor: Any, source: str) -> None:
    if courier is not None and result.good:
        record("apply_feedback", courier, actor=actor, after={
            "source": source, "total": result.total, "counts": dict(result.counts),
            "problem_counts": dict(result.problem_counts)})


def _write(changes: _Changes, result: FeedbackResult, *, actor: Any, source: str) -> None:
    """The bulk writes of one chunk: events, parcels, orders (history, audit, points, messages), tasks."""
    if not changes.events:
        return
    user, now = user_or_none(actor), timezone.now()
    insert_rows(ShipmentEvent, ("shipment", "kind", "at", "detail", "source", "recorded_at", "actor"),
            [(*event, source, now, user.pk if user else None) for event in changes.events])
    _save_parcels(changes.parcels.values())
    _transition_orders(changes.transitions, actor=actor)
    OrderTask.objects.bulk_create(changes.rescues, batch_size=500)  # first: a later delivery may close them
    OrderTask.objects.filter(order_id__in=changes.closed_rescues, kind=TaskKind.RESCUE,
                             status=TaskStatus.OPEN).update(status=TaskStatus.DONE, done_at=now,
                                                            outcome_note=_("The parcel was delivered."))
    result.orders_changed += len(changes.transitions)
    result.rescue_tasks += len(changes.rescues)


_WRITTEN = ("status", "last_event_at", "delivered_at", "refused_at", "refusal_reason", "returned_at")


INSERT_ROWS = 500  # parcels per UPDATE … FROM (VALUES …) on PostgreSQL, far below its parameter limit


def _save_parcels(parcels: Iterable[_Parcel]) -> None:
    """Each parcel's new state and times, by one prepared UPDATE run for every row (executemany).
    `bulk_update` builds a CASE per field and row: measured, it took most of a 100,000-row apply."""
    fields = [cast(Field[Any, Any], Shipment._meta.get_field(name)) for name in _WRITTEN]
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        _update_from_values(list(parcels), fields)
        return
    sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(Shipment._meta.db_table)} SET {sets} WHERE {quote(Shipment._meta.pk.column)} = %s"
    rows = [[f.get_db_prep_value(parcel.row[f.name], connection) for f in fields] + [parcel.row["pk"]]
            for parcel in parcels]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _update_from_values(parcels: list[_Parcel], fields: list[Field[Any, Any]]) -> None:
    """PostgreSQL: many parcels per UPDATE … FROM (VALUES …), instead of a round trip per parcel."""
    quote = connection.ops.quote_name
    table, pk = quote(Shipment._meta.db_table), quote(Shipment._meta.pk.column)
    sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
    names = ", ".join([pk, *(quote(f.column) for f in fields)])
    one = "(" + ", ".join(["%s::bigint", *(f"%s::{f.db_type(connection)}" for f in fields)]) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(parcels), INSERT_ROWS):
            batch = parcels[start:start + INSERT_ROWS]
            values = [value for parcel in batch for value in
                      (parcel.row["pk"], *(f.get_db_prep_value(parcel.row[f.name], connection) for f in fields))]
            cursor.execute(f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([one] * len(batch))}) "
                           f"AS v({names}) WHERE {table}.{pk} = v.{pk}", values)


_CUSTOMER_FIELDS = ("name", "gender", "notify_channel", "email", "fax")


def _transition_orders(transitions: list[tuple[int, str, str]], *, actor: Any) -> None:
    """What `orders.actions.do_transition_order` does for each (delivered, refused), in bulk: status, history,
    audit rows, points per customer, the customers' messages, and the bus events after commit."""
    if not transitions:
        return
    phones = Prefetch("customer__phones", CustomerPhone.objects.only("customer_id", "number", "is_primary"))
    # the customer's fields a message needs (salutation, channel, address); the order's all, for the audit
    orders = Order.objects.select_for_update(of=("self",)).select_related("customer").only(
        *(f.attname for f in Order._meta.concrete_fields), *(f"customer__{name}" for name in _CUSTOMER_FIELDS)
    ).prefetch_related(phones).in_bulk([order_id for order_id, _to, _reason in transitions])
    user = user_or_none(actor)
    # the columns `accounts.audit.record` fills
    user_id, actor_name, label = (user.pk if user else None), (user.get_username() if user else "system"), \
        Order._meta.label_lower
    history: list[tuple[Any, ...]] = []
    audit: list[tuple[Any, ...]] = []
    payloads: list[tuple[int, str, str, str]] = []  # tuples, not dicts: 70,000 wait in memory for the commit
    points = Counter[int]()
    notices: dict[str, list[Order]] = defaultdict(list)
    now = timezone.now()
    for order_id, to_status, reason in transitions:
        order = orders[order_id]
        before, from_status = snapshot(order), order.status
        order.status, order.updated_at = to_status, now
        if to_status == Status.DELIVERED:
            points[order.customer_id] += order.points
        history.append((order.pk, from_status, to_status, user_id, reason, now))
        # what snapshot(order) gives now: the same fields with the new status and time
        after = {**before, "status": to_status, "updated_at": now.isoformat(), "reason": reason}
        audit.append((now, user_id, actor_name, f"order_{to_status}", label, str(order.pk), str(order)[:200],
                      before, after))
        notices[to_status].append(order)
        payloads.append((order.pk, order.number, from_status, to_status))
    for to_status in notices:  # one UPDATE per new status: every order of it gets the same values
        Order.objects.filter(pk__in=[o.pk for o in notices[to_status]]).update(status=to_status, updated_at=now)
    insert_rows(OrderStatusChange, ("order", "from_status", "to_status", "actor", "reason", "at"), history)
    insert_rows(AuditEntry, ("at", "actor", "actor_name", "action", "object_type", "object_id", "object_repr", "before",
                         "after"), audit)
    _credit_points(points)
    for to_status, notified in notices.items():
        queue_order_notices(notified, STATUS_MESSAGES[Status(to_status)])
    transaction.on_commit(lambda: _publish_all(payloads))


def _publish_all(payloads: list[tuple[int, str, str, str]]) -> None:
    """The event `do_transition_order` publishes for each order."""
    for order_id, number, from_status, to_status in payloads:
        publish("order.status_changed", {"order_id": order_id, "number": number, "from": from_status, "to": to_status})


def _credit_points(points: Counter[int]) -> None:
    """One UPDATE per distinct amount: customers credited the same points go together."""
    by_amount: dict[int, list[int]] = defaultdict(list)
    for customer_id, amount in points.items():
        if amount:
            by_amount[amount].append(customer_id)
    for amount, customer_ids in by_amount.items():
        Customer.objects.filter(pk__in=customer_ids).update(points=F("points") + amount)


@transaction.atomic
def do_record_push_refusal(*, courier: Courier | None, key: str, address: str | None, reason: str) -> AuditEntry:
    """Note a refused push of the courier API (unknown key, bad or missing signature) in the audit log, so
    that someone guessing keys or forging bodies shows up; nothing else is written."""
    return AuditEntry.objects.create(
        actor=None, actor_name=(address or "")[:150], action="courier_push_refused",
        object_type=Courier._meta.label_lower, object_id=str(courier.pk if courier else ""),
        object_repr=(courier.name if courier else key[:40])[:200],
        after={"reason": reason, "address": address, "key": key[:40]})
