"""Demo orders, planned in memory first, then turned into rows.

Planning first lets the customers be written with what their orders imply (when they became customers,
the airing that brought them, their points) and keeps a million-customer load to one pass. The plan
follows the same rules as the order actions: prices and gifts from the catalogue, cross-sells at their
lowest offer price, totals in Decimal, the lifecycle of `transitions.py`, exchanges with a linked free
replacement, attribution by `AttributionIndex`, numbers per local day as `numbering.py` makes them.

An order's final status is drawn by its age; whether a parcel that reached the door was refused or
accepted is then decided in time order by the known refusal model of `refusals.py`, which reads the
customer's earlier outcomes. Some customers are regulars who order several times in the week, and some
customers on file ordered in the year before it (their history, `_histories`), which `--orders` does not
count.
"""

from __future__ import annotations

import datetime
import itertools
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext

from hotline.demo import data
from hotline.demo.catalogue import Catalogue, ProductInfo
from hotline.demo.media import AttributionIndex, Media, PlannedAiring
from hotline.demo.people import CustomerFacts, CustomerSnapshot
from hotline.demo.refusals import RefusalFeatures, refusal_probability
from hotline.lib.money import ZERO, yuan
from hotline.orders.models import (
    DeliveryMethod,
    Order,
    OrderLine,
    OrderNumberCounter,
    OrderStatusChange,
    PaymentMethod,
    Status,
)

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
# Orders older than this come before the demo week: the history of customers already on file.
HISTORY_AGE = 10 * DAY
HISTORY_SPAN = 365 * DAY
HISTORY_COUNTS, HISTORY_WEIGHTS = (0, 1, 2, 3), (35, 40, 17, 8)

# Final statuses by age of the order: young orders are still being handled, old ones are done.
AGE_WEIGHTS: list[tuple[datetime.timedelta, dict[str, int]]] = [
    (2 * HOUR, {Status.ORDERED: 85, Status.REVIEWED: 7, Status.CANCELLED: 8}),
    (DAY, {Status.ORDERED: 25, Status.REVIEWED: 45, Status.SHIPPED: 20, Status.CANCELLED: 10}),
    (3 * DAY, {Status.ORDERED: 3, Status.REVIEWED: 7, Status.SHIPPED: 50, Status.DELIVERED: 20, Status.SETTLED: 3,
               Status.REFUSED: 6, Status.RETURNED: 3, Status.CANCELLED: 8}),
    (HISTORY_AGE, {Status.REVIEWED: 2, Status.SHIPPED: 12, Status.DELIVERED: 33, Status.SETTLED: 30,
                   Status.REFUSED: 4, Status.RETURNED: 7, Status.EXCHANGED: 4, Status.CANCELLED: 8}),
    (datetime.timedelta.max, {Status.SETTLED: 85, Status.DELIVERED: 5, Status.CANCELLED: 10}),
]  # fmt: skip
# Statuses of an order whose parcel reached the door: the refusal model decides between the two tables below.
AT_THE_DOOR = frozenset({Status.DELIVERED, Status.SETTLED, Status.REFUSED, Status.RETURNED, Status.EXCHANGED})
# Where an order ends once its parcel was refused / accepted at the door, by age (limits of AGE_WEIGHTS).
REFUSED_ENDS: dict[datetime.timedelta, dict[str, int]] = {
    3 * DAY: {Status.REFUSED: 5, Status.RETURNED: 1}, HISTORY_AGE: {Status.REFUSED: 2, Status.RETURNED: 5},
    datetime.timedelta.max: {Status.RETURNED: 1}}
ACCEPTED_ENDS: dict[datetime.timedelta, dict[str, int]] = {
    3 * DAY: {Status.DELIVERED: 20, Status.SETTLED: 3, Status.RETURNED: 1},
    HISTORY_AGE: {Status.DELIVERED: 33, Status.SETTLED: 30, Status.RETURNED: 3, Status.EXCHANGED: 4},
    datetime.timedelta.max: {Status.SETTLED: 88, Status.RETURNED: 5, Status.EXCHANGED: 7}}
NEW_CUSTOMER_SHARE = 0.6  # first orders in the week from a customer the airing brought, not one on file
REGULAR_SHARE, REGULAR_POOL = 0.25, 25  # a quarter of orders come from one customer in 25
REPLACEMENT_STATUSES = (Status.ORDERED, Status.REVIEWED, Status.SHIPPED, Status.DELIVERED)
# How long after the previous step each step usually comes, in seconds.
DELAYS: dict[str, tuple[int, int]] = {
    Status.REVIEWED: (1800, 8 * 3600), Status.SHIPPED: (4 * 3600, 30 * 3600), Status.DELIVERED: (86400, 3 * 86400),
    Status.REFUSED: (86400, 3 * 86400), Status.SETTLED: (86400, 4 * 86400), Status.RETURNED: (86400, 3 * 86400),
    Status.EXCHANGED: (86400, 4 * 86400), Status.CANCELLED: (300, 6 * 3600),
}  # fmt: skip
EARNS_POINTS = frozenset({Status.DELIVERED, Status.SETTLED, Status.EXCHANGED})


@dataclass
class Staff:
    """Ids of the demo users who take and handle orders."""

    agents: list[int]
    logistics: int
    finance: int
    supervisor: int


@dataclass
class PlannedLine:
    """An order line; `gift_of` is the line that earned a gift. `id` is given when rows are made."""

    product_id: int
    quantity: int
    unit_price: Decimal
    discount: Decimal = ZERO
    is_gift: bool = False
    is_cross_sell: bool = False
    gift_of: PlannedLine | None = None
    id: int = 0

    @property
    def gross(self) -> Decimal:
        return yuan(self.unit_price * self.quantity)

    @property
    def line_total(self) -> Decimal:
        return self.gross - self.discount


@dataclass(frozen=True)
class Step:
    """One status change after the order was placed."""

    to_status: str
    at: datetime.datetime
    actor_id: int
    reason: str = ""


@dataclass
class PlannedOrder:
    """An order with its lines and its history, before it has an id or a number."""

    customer_index: int
    created_at: datetime.datetime
    agent_id: int
    hotline_id: int | None
    airing_id: int | None
    lines: list[PlannedLine]
    steps: list[Step] = field(default_factory=list)
    delivery_method: str = DeliveryMethod.EMS
    payment_method: str = PaymentMethod.COD
    invoice_title: str = ""
    invoice_tax_id: str = ""
    rush: bool = False
    notes: str = ""
    replaces: PlannedOrder | None = None
    first_reason: str = ""
    points: int = 0
    id: int = 0
    number: str = ""
    # the age-drawn target when the parcel reaches the door: refused or not is decided in time order
    door_target: str = ""
    forced: bool = False
    new_customer: bool = False
    refusal_p: float = 0.0  # the refusal model's probability (0 when nothing is collected at the door)
    refused: bool = False

    @property
    def collects_cash(self) -> bool:
        """Whether the courier collects the total at the door: the refusal model's population."""
        return (self.payment_method == PaymentMethod.COD and self.delivery_method != DeliveryMethod.PICKUP
                and self.replaces is None)

    @property
    def status(self) -> str:
        return self.steps[-1].to_status if self.steps else Status.ORDERED

    @property
    def paid_lines(self) -> list[PlannedLine]:
        return [line for line in self.lines if not line.is_gift]

    @property
    def subtotal(self) -> Decimal:
        return sum((line.gross for line in self.paid_lines), ZERO)

    @property
    def discount_total(self) -> Decimal:
        return sum((line.discount for line in self.paid_lines), ZERO)

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount_total


class OrderPlanner:
    """Plans `count` orders over the week of airings, every status represented, plus exchange replacements."""

    def __init__(self, rng: random.Random, catalogue: Catalogue, media: Media, staff: Staff, customers: int,
                 now: datetime.datetime, city_of: Callable[[int], str]) -> None:
        self.rng, self.catalogue, self.media, self.staff = rng, catalogue, media, staff
        self.customers, self.now, self.city_of = customers, now, city_of
        self.window = datetime.timedelta(minutes=settings.HOTLINE_ATTRIBUTION_WINDOW_MINUTES)
        self.index = AttributionIndex(media.airings, self.window)
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.own_number = {station: number for number, station in media.hotlines.items() if station is not None}
        self.shared_numbers = [number for number, station in media.hotlines.items() if station is None]
        self.sellable = catalogue.sellable()
        self.points = {p.id: p.points for p in catalogue.products.values()}
        # Bigger buys reach bigger audiences: an airing draws orders in proportion to what it cost.
        self.weights = list(itertools.accumulate(float(a.cost) for a in media.airings))
        old = [a for a in media.airings if a.starts_at < now - 3 * DAY]
        self.old_airings, self.old_weights = old, list(itertools.accumulate(float(a.cost) for a in old))

    def plan(self, count: int) -> list[PlannedOrder]:
        """All orders sorted by creation time, with ids and numbers."""
        forced = list(Status) if count >= len(Status) else []
        orders = [self._order(forced[i] if i < len(forced) else None) for i in range(count)]
        orders.sort(key=lambda order: order.created_at)  # stable: ties keep planning order
        orders = self._histories(orders) + orders
        orders.sort(key=lambda order: order.created_at)
        self._decide_doors(orders)
        orders += [self._replacement(order) for order in orders if order.status == Status.EXCHANGED]
        orders.sort(key=lambda order: order.created_at)  # stable: ties keep planning order
        _assign_numbers(orders)
        return orders

    def _order(self, forced: str | None) -> PlannedOrder:
        at, hotline_id = self._moment(old=forced is not None)
        airing = self.index.attribute(self.media.hotlines[hotline_id], at) if hotline_id else None
        return self._placed(self._customer(), at, hotline_id, airing, forced)

    def _placed(self, customer: int, at: datetime.datetime, hotline_id: int | None, airing: PlannedAiring | None,
                forced: str | None = None) -> PlannedOrder:
        """An order placed at `at` with its lines and requests; its path when it never reaches the door."""
        agent = self.rng.choice(self.staff.agents)
        order = PlannedOrder(customer_index=customer, created_at=at, agent_id=agent,
                             hotline_id=hotline_id, airing_id=airing.id if airing else None,
                             lines=self._lines(self._main_product(airing)))
        # Points are earned on every paid line, cross-sells included, as order entry counts them.
        order.points = sum(self.points[line.product_id] * line.quantity for line in order.paid_lines)
        self._requests(order)
        target = forced or self._target(self.now - at, tuple(Status))
        if target in AT_THE_DOOR:
            order.door_target, order.forced = target, forced is not None
            if forced == Status.REFUSED:  # only a parcel with cash to collect is refused
                order.payment_method, order.delivery_method = PaymentMethod.COD, DeliveryMethod.EMS
        else:
            order.steps = self._steps(self._path(target), at, agent)
        return order

    def _customer(self) -> int:
        """Who orders: mostly anyone, sometimes one of the regulars (the first indexes)."""
        if self.rng.random() < REGULAR_SHARE:
            return self.rng.randrange(max(1, self.customers // REGULAR_POOL))
        return self.rng.randrange(self.customers)

    def _histories(self, week: list[PlannedOrder]) -> list[PlannedOrder]:
        """Whether each customer of the week is new (brought by their first order in it) or on file; those on
        file may have ordered in the year before, their first order being when they became customers."""
        seen: set[int] = set()
        past: list[PlannedOrder] = []
        numbers = sorted(self.media.hotlines)
        for order in week:
            if order.customer_index in seen:
                continue
            seen.add(order.customer_index)
            if self.rng.random() < NEW_CUSTOMER_SHARE:
                order.new_customer = True
                continue
            count = self.rng.choices(HISTORY_COUNTS, HISTORY_WEIGHTS)[0]
            times = sorted(self.now - HISTORY_AGE - (HISTORY_SPAN - HISTORY_AGE) * self.rng.random()
                           for _ in range(count))
            for position, at in enumerate(times):
                placed = self._placed(order.customer_index, at.replace(microsecond=0), self.rng.choice(numbers), None)
                placed.new_customer = position == 0
                past.append(placed)
        return past

    def _decide_doors(self, orders: list[PlannedOrder]) -> None:
        """In time order: refuse or accept each parcel that reached the door by the refusal model, from what
        the customer did before the order."""
        refusals: dict[int, list[datetime.datetime]] = {}
        deliveries: dict[int, list[datetime.datetime]] = {}
        for order in orders:
            customer = order.customer_index
            if not order.door_target:
                continue
            if order.collects_cash:
                order.refusal_p = refusal_probability(RefusalFeatures(
                    city=self.city_of(customer), new_customer=order.new_customer, total=order.total,
                    previous_refusals=sum(at < order.created_at for at in refusals.get(customer, ())),
                    previous_deliveries=sum(at < order.created_at for at in deliveries.get(customer, ())),
                    local_hour=order.created_at.astimezone(self.zone).hour))
            draw = self.rng.random()
            order.refused = order.door_target == Status.REFUSED if order.forced else draw < order.refusal_p
            target = order.door_target if order.forced else self._door_end(order)
            order.steps = self._steps(self._path(target, refused=order.refused), order.created_at, order.agent_id)
            at_door = next(step.at for step in order.steps
                           if step.to_status in (Status.REFUSED, Status.DELIVERED))
            (refusals if order.refused else deliveries).setdefault(customer, []).append(at_door)

    def _door_end(self, order: PlannedOrder) -> str:
        age = self.now - order.created_at
        ends = next(w for limit, w in (REFUSED_ENDS if order.refused else ACCEPTED_ENDS).items() if age < limit)
        return self.rng.choices(list(ends), list(ends.values()))[0]

    def _moment(self, old: bool) -> tuple[datetime.datetime, int | None]:
        """When the order is placed and on which number: mostly in the minutes after an airing."""
        rng = self.rng
        draw = rng.random()
        if draw < 0.88:
            pool, weights = (self.old_airings, self.old_weights) if old else (self.media.airings, self.weights)
            airing = rng.choices(pool, cum_weights=weights)[0]
            number = self.own_number[airing.station_id] if rng.random() < 0.85 else rng.choice(self.shared_numbers)
            return self._after(airing), number
        earliest = 3 * DAY if old else datetime.timedelta(0)
        at = self.now - earliest - datetime.timedelta(seconds=rng.uniform(0, (7 * DAY - earliest).total_seconds()))
        numbers = list(self.media.hotlines)
        return at.replace(microsecond=0), (rng.choice(numbers) if draw < 0.98 else None)

    def _after(self, airing: PlannedAiring) -> datetime.datetime:
        """A moment callers order after seeing the airing: many at once, fewer as the minutes pass."""
        rng = self.rng
        limit = airing.length_seconds + self.window.total_seconds() - 1
        offset = rng.expovariate(1 / (airing.length_seconds / 2 + 300))
        if offset > limit:
            offset = rng.uniform(0, limit)
        at = airing.starts_at + datetime.timedelta(seconds=offset)
        if at > self.now:  # the airing on air right now
            at = airing.starts_at + (self.now - airing.starts_at) * rng.random()
        return at.replace(microsecond=0)

    def _main_product(self, airing: PlannedAiring | None) -> ProductInfo:
        if airing and self.rng.random() < 0.8:
            featured = self.catalogue.by_id(airing.product_id)
            if featured.orderable:
                return featured
        return self.rng.choice(self.sellable)

    def _lines(self, main: ProductInfo) -> list[PlannedLine]:
        """The main product, sometimes a second one or a cross-sell, with gifts and the odd discount."""
        rng = self.rng
        requested = [(main, rng.choices((1, 2, 3, 4), (60, 25, 10, 5))[0], False)]
        if rng.random() < 0.1:
            second = rng.choice(self.sellable)
            if second.id != main.id:
                requested.append((second, 1, False))
        main_ids = {product.id for product, _q, _c in requested}
        suggestions = sorted({sid for pid in main_ids for sid, _price in self.catalogue.cross_sells.get(pid, [])
                              if sid not in main_ids})
        if suggestions and rng.random() < 0.25:
            requested.append((self.catalogue.by_id(rng.choice(suggestions)), 1, True))
        lines: list[PlannedLine] = []
        for product, quantity, cross in requested:
            price = self.catalogue.offer_price(product.id, main_ids) if cross else product.price
            line = PlannedLine(product.id, quantity, price or product.price, is_cross_sell=cross)
            if rng.random() < 0.1:
                line.discount = min(yuan(rng.choice((10, 20, 30, 50))), line.gross)
            lines.append(line)
            lines.extend(self._gifts(line))
        return lines

    def _gifts(self, line: PlannedLine) -> list[PlannedLine]:
        return [PlannedLine(gift.gift_id, count, ZERO, is_gift=True, gift_of=line)
                for gift in self.catalogue.gifts.get(line.product_id, [])
                if (count := gift.count_for(line.quantity))]

    def _requests(self, order: PlannedOrder) -> None:
        """Delivery, payment, invoice, rush and notes, in the proportions a TV-shopping desk sees."""
        rng = self.rng
        order.delivery_method = rng.choices(list(DeliveryMethod), (40, 15, 40, 5))[0]
        order.payment_method = rng.choices(list(PaymentMethod), (75, 15, 10))[0]
        if rng.random() < 0.03:
            order.invoice_title = rng.choice(data.INVOICE_TITLES)
            order.invoice_tax_id = "91" + "".join(rng.choices("0123456789ABCDEFGHJKLMNPQRTUWXY", k=16))
        order.rush = rng.random() < 0.05
        if rng.random() < 0.05:
            order.notes = rng.choice(data.ORDER_NOTES)

    def _target(self, age: datetime.timedelta, allowed: tuple[str, ...]) -> str:
        weights = next(w for limit, w in AGE_WEIGHTS if age < limit)  # the last limit is timedelta.max
        choices = [status for status in weights if status in allowed] or [Status.ORDERED]
        return self.rng.choices(choices, [weights.get(status, 1) for status in choices])[0]

    def _path(self, target: str, refused: bool = False) -> list[str]:
        """The statuses an order passes through after `ordered` to end in `target` (a return comes after a
        refusal at the door when `refused`, else after a delivery)."""
        rng = self.rng
        main: list[str] = [Status.REVIEWED, Status.SHIPPED, Status.DELIVERED, Status.SETTLED]
        if target in main:
            return main[: main.index(target) + 1]
        if target == Status.CANCELLED:
            return [Status.CANCELLED] if rng.random() < 0.6 else [Status.REVIEWED, Status.CANCELLED]
        if target == Status.REFUSED:
            return [*main[:2], Status.REFUSED]
        if target == Status.RETURNED:
            before = [*main[:2], Status.REFUSED] if refused else main[:3] if rng.random() < 0.7 else main
            return [*before, Status.RETURNED]
        if target == Status.EXCHANGED:
            return [*(main[:3] if rng.random() < 0.65 else main), Status.EXCHANGED]
        return []

    def _steps(self, path: list[str], start: datetime.datetime, agent: int) -> list[Step]:
        """Times, actors and reasons for the path, squeezed in before now when the order is young."""
        rng = self.rng
        delays = [rng.uniform(*DELAYS[status]) for status in path]
        # a young order's steps are squeezed into part of the time it has had (not all of it: every young
        # order's last step would fall on the same second, a minute before the load)
        room = max(0.0, (self.now - start).total_seconds() - 60) * rng.uniform(0.3, 1.0)
        scale = min(1.0, room / sum(delays)) if delays else 1.0
        steps: list[Step] = []
        at, previous = start, str(Status.ORDERED)
        for status, delay in zip(path, delays, strict=True):
            at = (at + datetime.timedelta(seconds=delay * scale)).replace(microsecond=0)
            steps.append(Step(status, max(at, start), self._actor(status, previous, agent),
                              self._reason(status, previous)))
            previous = status
        return steps

    def _actor(self, status: str, previous: str, agent: int) -> int:
        if status == Status.SETTLED:
            return self.staff.finance
        if status == Status.CANCELLED and previous == Status.ORDERED:
            return agent
        if status in (Status.RETURNED, Status.EXCHANGED) and self.rng.random() < 0.3:
            return self.staff.supervisor
        return self.staff.logistics

    def _reason(self, status: str, previous: str) -> str:
        choices = {Status.CANCELLED: data.CANCEL_REASONS, Status.REFUSED: data.REFUSE_REASONS,
                   Status.EXCHANGED: data.EXCHANGE_REASONS,
                   Status.RETURNED: data.REFUSED_RETURN_REASONS if previous == Status.REFUSED
                   else data.RETURN_REASONS}.get(Status(status))
        return self.rng.choice(choices) if choices else ""

    def _replacement(self, original: PlannedOrder) -> PlannedOrder:
        """The free replacement `do_exchange_order` creates: the same paid lines at the same prices (a
        cross-sell keeps its offer price), fully discounted, and no second round of gifts."""
        exchange = original.steps[-1]
        lines = [PlannedLine(old.product_id, old.quantity, old.unit_price, is_cross_sell=old.is_cross_sell)
                 for old in original.paid_lines]
        for line in lines:
            line.discount = line.gross
        order = PlannedOrder(customer_index=original.customer_index, created_at=exchange.at,
                             agent_id=exchange.actor_id, hotline_id=original.hotline_id,
                             airing_id=original.airing_id, lines=lines, delivery_method=original.delivery_method,
                             payment_method=PaymentMethod.TRANSFER, replaces=original,
                             first_reason=exchange.reason)
        target = self._target(self.now - exchange.at, REPLACEMENT_STATUSES)
        order.steps = self._steps(self._path(target), exchange.at, exchange.actor_id)
        return order


def _assign_numbers(orders: list[PlannedOrder]) -> None:
    """Ids in creation order; numbers `HL20261124-000123` counting per local day, as numbering.py does."""
    zone = ZoneInfo(settings.TIME_ZONE)
    per_day: Counter[datetime.date] = Counter()
    for position, order in enumerate(orders, start=1):
        day = order.created_at.astimezone(zone).date()
        per_day[day] += 1
        order.id = position
        order.number = f"{settings.HOTLINE_ORDER_PREFIX}{day:%Y%m%d}-{per_day[day]:06d}"


def number_counters(orders: list[PlannedOrder]) -> list[OrderNumberCounter]:
    """The counters as `next_order_number` would have left them: the next order of a day gets the next number."""
    zone = ZoneInfo(settings.TIME_ZONE)
    per_day = Counter(order.created_at.astimezone(zone).date() for order in orders)
    return [OrderNumberCounter(day=day, last=count) for day, count in sorted(per_day.items())]


def customer_facts(rng: random.Random, orders: list[PlannedOrder], now: datetime.datetime,
                   ) -> dict[int, CustomerFacts]:
    """For each ordering customer: when they became one (new ones were brought by their first order's
    airing, as the plan decided), and the points their delivered orders earned."""
    first: dict[int, PlannedOrder] = {}
    points: Counter[int] = Counter()
    for order in orders:  # sorted by time, so the first seen is the first order
        first.setdefault(order.customer_index, order)
        if order.status in EARNS_POINTS:
            points[order.customer_index] += order.points
    facts = {}
    for index, order in first.items():
        if order.new_customer:
            created = order.created_at - datetime.timedelta(seconds=rng.randint(60, 600))
            facts[index] = CustomerFacts(created, order.airing_id, points[index])
        else:
            created = now - datetime.timedelta(seconds=rng.uniform(8 * 86400, 3 * 365 * 86400))
            facts[index] = CustomerFacts(created.replace(microsecond=0), None, points[index])
    return facts


def order_rows(orders: list[PlannedOrder], customers: dict[int, CustomerSnapshot],
               ) -> tuple[list[Order], list[OrderLine], list[OrderStatusChange]]:
    """Model instances for the planned orders, their lines (gift lines point at their line) and history."""
    rows: dict[int, Order] = {}
    lines: list[OrderLine] = []
    history: list[OrderStatusChange] = []
    for order in orders:
        original = rows[order.replaces.id] if order.replaces else None  # planned earlier: sorted by time
        rows[order.id] = _order_row(order, customers[order.customer_index], original)
        lines += _line_rows(order, first_id=len(lines) + 1)
        history += _history_rows(order)
    return list(rows.values()), lines, history


def _order_row(order: PlannedOrder, customer: CustomerSnapshot, original: Order | None) -> Order:
    last = order.steps[-1].at if order.steps else order.created_at
    settled = next((step.at for step in order.steps if step.to_status == Status.SETTLED), None)
    row = Order(id=order.id, number=order.number, status=order.status, customer_id=customer.id,
                delivery_method=order.delivery_method, payment_method=order.payment_method,
                recipient=customer.name, recipient_phone=customer.phone, hotline_number_id=order.hotline_id,
                airing_id=order.airing_id, invoice_title=order.invoice_title, invoice_tax_id=order.invoice_tax_id,
                rush=order.rush, notes=order.notes, subtotal=order.subtotal, discount_total=order.discount_total,
                total=order.total, points=order.points, agent_id=order.agent_id, created_at=order.created_at,
                updated_at=last, settled_at=settled, settled_amount=order.total if settled else None)
    if original is not None:
        row.replaces_id = original.pk
        for name in ("recipient", "recipient_phone", "province", "city", "district", "address_detail", "postcode"):
            setattr(row, name, getattr(original, name))
        row.notes = gettext("Exchange for %(number)s: %(reason)s") % {"number": original.number,
                                                                      "reason": order.first_reason}
    elif order.delivery_method != DeliveryMethod.PICKUP:
        row.province, row.city, row.district = customer.province, customer.city, customer.district
        row.address_detail, row.postcode = customer.detail, customer.postcode
    return row


def _line_rows(order: PlannedOrder, first_id: int) -> list[OrderLine]:
    rows = []
    for offset, line in enumerate(order.lines):
        line.id = first_id + offset
        rows.append(OrderLine(id=line.id, order_id=order.id, product_id=line.product_id, quantity=line.quantity,
                              unit_price=line.unit_price, discount=line.discount, line_total=line.line_total,
                              is_gift=line.is_gift, is_cross_sell=line.is_cross_sell,
                              gift_of_id=line.gift_of.id if line.gift_of else None))
    return rows


def _history_rows(order: PlannedOrder) -> list[OrderStatusChange]:
    rows = [OrderStatusChange(order_id=order.id, from_status="", to_status=Status.ORDERED, actor_id=order.agent_id,
                              reason=order.first_reason, at=order.created_at)]
    previous = str(Status.ORDERED)
    for step in order.steps:
        rows.append(OrderStatusChange(order_id=order.id, from_status=previous, to_status=step.to_status,
                                      actor_id=step.actor_id, reason=step.reason, at=step.at))
        previous = step.to_status
    return rows
