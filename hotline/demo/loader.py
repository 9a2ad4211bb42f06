"""Loading the demo data set into an empty database: users, catalogue, couriers, media, customers, orders,
and the orders' parcels, tracking events and stock ledger.

Rows are written with bulk_create in batches inside one transaction, so a failed load leaves nothing
behind and a million customers need memory for one batch only. Orders are planned before customers are
written (see `orders.py`); customers are then generated one by one and only those who ordered are kept
in memory, as the snapshot their orders copy.
"""

from __future__ import annotations

import contextlib
import datetime
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connection, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count
from django.utils import timezone

from hotline.accounts.models import AuditEntry, User
from hotline.accounts.permissions import STAFF_ROLES, Role
from hotline.calls.models import Callback
from hotline.catalog.models import Product, Supplier
from hotline.crm.models import Address, Customer, CustomerPhone
from hotline.demo.call_center import create_call_center
from hotline.demo.calls import CallGenerator, demo_world, link_orders
from hotline.demo.catalogue import create_catalogue
from hotline.demo.data import DEMO_PASSWORD, DEMO_USERS, SHOWCASE_NUMBER
from hotline.demo.finance import create_finance
from hotline.demo.logistics import create_couriers
from hotline.demo.media import Media, create_stations, plan_airings, write_airings
from hotline.demo.orders import OrderPlanner, PlannedOrder, Staff, customer_facts, number_counters, order_rows
from hotline.demo.people import CustomerFacts, CustomerGenerator, CustomerSnapshot, PhoneSpace
from hotline.demo.shipments import ShipmentPlanner
from hotline.kb.demo import load_demo_kb
from hotline.lib.phones import MOBILE, phone_info
from hotline.logistics.models import Courier, Coverage, FeeRate, Shipment, ShipmentEvent, StockMovement
from hotline.media.models import Airing, HotlineNumber, Station
from hotline.orders.models import Order, OrderLine, OrderNumberCounter, OrderStatusChange
from hotline.service.demo import load_demo_scripts

# Bumped whenever the generator changes what a given seed produces, so benchmarks reload their data.
DATASET_VERSION = 6
LOAD_ACTION = "load_demo"
MAX_CUSTOMERS = PhoneSpace(0).size
# Checked before loading, so that the demo never mixes with real data.
CHECKED_MODELS: dict[str, type[models.Model]] = {
    "users": User, "customers": Customer, "suppliers": Supplier, "products": Product, "stations": Station,
    "airings": Airing, "orders": Order, "couriers": Courier,
}  # fmt: skip
# Written with explicit ids: their sequences must be moved past them afterwards (PostgreSQL).
EXPLICIT_ID_MODELS: tuple[type[models.Model], ...] = (Customer, Airing, Order, OrderLine, Shipment, Callback)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoOptions:
    """How much demo data to make; the same options and `now` always give the same data."""

    customers: int = 10_000
    orders: int = 5_000
    seed: int = 1
    now: datetime.datetime | None = None
    batch_size: int = 5_000
    calls: int = 0  # calls in the event log (`hotline loaddemo` asks for 3 per order); 0: none
    purpose: str = "demo"  # "bench" for a benchmark's data set, which the benchmark may erase and reload


@dataclass
class LoadReport:
    """What was written and how long it took."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def pending_migrations() -> bool:
    """Whether the database lacks migrations the code has (loading would fail on a missing table)."""
    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def existing_data() -> dict[str, int]:
    """Row counts of the Hotline tables that already hold data."""
    return {name: model._default_manager.count() for name, model in CHECKED_MODELS.items()
            if model._default_manager.exists()}


def erase_all_data() -> None:
    """Empty every table (Django's flush), for `loaddemo --force`."""
    call_command("flush", interactive=False, verbosity=0, database=DEFAULT_DB_ALIAS)


def latest_load() -> dict[str, Any] | None:
    """The options and figures of the last demo load recorded in this database, if any."""
    entry = AuditEntry.objects.filter(action=LOAD_ACTION).order_by("-id").first()
    return entry.after if entry is not None and isinstance(entry.after, dict) else None


def load_demo(options: DemoOptions, progress: Progress | None = None) -> LoadReport:
    """Write the demo data set into an empty, migrated database."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    now = (options.now or timezone.now()).replace(microsecond=0)
    report = LoadReport()
    with transaction.atomic(), _timestamps_as_given():
        staff = _create_users()
        report.counts.update(create_call_center(staff.agents, staff.supervisor))
        catalogue = create_catalogue()
        couriers = create_couriers()
        media = create_stations()
        plan_airings(random.Random(f"airings-{options.seed}"), media, catalogue, now)
        write_airings(media, catalogue)
        report.counts.update(scripts=load_demo_scripts())
        report.counts.update(kb_articles=load_demo_kb())
        report.counts.update(users=len(DEMO_USERS), products=len(catalogue.products),
                             stations=len(media.station_ids), airings=len(media.airings))
        say(f"catalogue, {len(media.airings)} airings ({time.perf_counter() - started:.1f} s)")
        rng = random.Random(f"orders-{options.seed}")
        phones = PhoneSpace(options.seed)
        planned = OrderPlanner(rng, catalogue, media, staff, options.customers, now,
                               city_of=lambda index: phones.mobile(index)[2].name).plan(options.orders)
        facts = customer_facts(rng, planned, now)
        snapshots = _write_customers(options, now, facts, report, say, started)
        rows = _write_orders(planned, snapshots, report, options.batch_size)
        shipments = ShipmentPlanner(catalogue, couriers, staff.logistics, now, random.Random(f"parcels-{options.seed}"))
        _write_logistics(shipments, planned, rows, report, options.batch_size)
        say(f"orders, parcels and stock ledger ({time.perf_counter() - started:.1f} s)")
        report.counts.update(create_finance(now, random.Random(f"finance-{options.seed}"), staff.finance,
                                            options.batch_size))
        say(f"payments, remittances and refunds ({time.perf_counter() - started:.1f} s)")
        _add_showcase_phone(report)
        if options.calls:
            _write_calls(options, media, staff, now, report, say, started)
        _reset_sequences()
    report.seconds = time.perf_counter() - started  # after the commit, which is part of the cost
    _record_load(options, report)
    return report


def _create_users() -> Staff:
    # One hash for all: the password is public, and hashing it fifteen times would take seconds.
    encoded = make_password(DEMO_PASSWORD)
    users = [User(username=username, role=role, first_name=name, password=encoded,
                  is_superuser=role == Role.ADMIN, is_staff=role == Role.ADMIN or role in STAFF_ROLES,
                  agent_number=str(1000 + position) if role == Role.AGENT else "")
             for position, (username, role, name) in enumerate(DEMO_USERS)]
    created = User.objects.bulk_create(users)
    first: dict[str, int] = {}  # the first user of each role handles the orders
    for user in created:
        first.setdefault(user.role, user.pk)
    return Staff(agents=[user.pk for user in created if user.role == Role.AGENT], logistics=first[Role.LOGISTICS],
                 finance=first[Role.FINANCE], supervisor=first[Role.SUPERVISOR])


def _write_customers(options: DemoOptions, now: datetime.datetime, facts: dict[int, CustomerFacts],
                     report: LoadReport, say: Progress, started: float) -> dict[int, CustomerSnapshot]:
    """Generate and insert customers batch by batch; keep the snapshots of those who ordered."""
    generator = CustomerGenerator(options.seed, now)
    snapshots: dict[int, CustomerSnapshot] = {}
    counts = {"customers": 0, "phones": 0, "addresses": 0}
    every = max(options.batch_size, options.customers // 10)
    for first in range(0, options.customers, options.batch_size):
        indexes = range(first, min(options.customers, first + options.batch_size))
        rows = [generator.build(index, facts.get(index)) for index in indexes]
        Customer.objects.bulk_create([row.customer for row in rows], batch_size=options.batch_size)
        phones = [phone for row in rows for phone in row.phones]
        addresses = [address for row in rows for address in row.addresses]
        CustomerPhone.objects.bulk_create(phones, batch_size=options.batch_size)
        Address.objects.bulk_create(addresses, batch_size=options.batch_size)
        snapshots.update((index, row.snapshot()) for index, row in zip(indexes, rows, strict=True) if index in facts)
        counts["customers"] += len(rows)
        counts["phones"] += len(phones)
        counts["addresses"] += len(addresses)
        if indexes.stop % every == 0 or indexes.stop == options.customers:
            say(f"{indexes.stop:,} customers ({time.perf_counter() - started:.1f} s)")
    report.counts.update(counts)
    return snapshots


def _write_orders(planned: list[PlannedOrder], snapshots: dict[int, CustomerSnapshot], report: LoadReport,
                  batch_size: int) -> dict[int, Order]:
    orders, lines, history = order_rows(planned, snapshots)
    Order.objects.bulk_create(orders, batch_size=batch_size)
    OrderLine.objects.bulk_create(lines, batch_size=batch_size)
    OrderStatusChange.objects.bulk_create(history, batch_size=batch_size)
    OrderNumberCounter.objects.bulk_create(number_counters(planned))
    report.counts.update(orders=len(orders), order_lines=len(lines), status_changes=len(history))
    return {order.pk: order for order in orders}


def _write_logistics(planner: ShipmentPlanner, planned: list[PlannedOrder], orders: dict[int, Order],
                     report: LoadReport, batch_size: int) -> None:
    """The parcels of the orders that left the warehouse, their events, and the stock ledger."""
    rows = planner.rows(planned, orders)
    Shipment.objects.bulk_create(rows.shipments, batch_size=batch_size)
    ShipmentEvent.objects.bulk_create(rows.events, batch_size=batch_size)
    StockMovement.objects.bulk_create(rows.movements, batch_size=batch_size)
    report.counts.update(couriers=Courier.objects.count(), coverage=Coverage.objects.count(),
                         fee_rates=FeeRate.objects.count(), shipments=len(rows.shipments),
                         shipment_events=len(rows.events), stock_movements=len(rows.movements))


def _write_calls(options: DemoOptions, media: Media, staff: Staff, now: datetime.datetime, report: LoadReport,
                 say: Progress, started: float) -> None:
    """The week's call event log (airing surges, IVR, queues, agents' shifts), its facts, and each order of
    an airing linked to a call of that airing."""
    agents = dict(User.objects.filter(pk__in=staff.agents).values_list("username", "pk"))
    numbers = dict(HotlineNumber.objects.values_list("pk", "number"))
    world = demo_world(media.airings, media.hotlines, numbers, sorted(agents.items(), key=lambda item: item[1] or 0),
                       now)
    summary = CallGenerator(world, options.calls, options.seed,
                            progress=lambda message: say(f"calls: {message}")).run()
    report.counts.update(summary.counts)
    report.counts.update(orders_with_call=link_orders(summary.answered, world.start))
    say(f"{summary.counts['call_records']:,} calls ({time.perf_counter() - started:.1f} s)")


def _add_showcase_phone(report: LoadReport) -> None:
    """The customer with the most orders also answers to SHOWCASE_NUMBER, the caller ID of the README's
    call, so a first call pops a customer with a history. No demo prefix is 1380013: it is nobody else's."""
    top = Order.objects.values("customer").annotate(orders=Count("id")).order_by("-orders", "customer").first()
    info = phone_info(SHOWCASE_NUMBER)
    CustomerPhone.objects.create(customer_id=top["customer"] if top else 1, number=SHOWCASE_NUMBER, kind=MOBILE,
                                 province=info.province, city=info.city, carrier=info.carrier)
    report.counts["phones"] += 1


def _reset_sequences() -> None:
    """Move id sequences past the explicit ids, or the next row made by the app would collide (PostgreSQL)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(EXPLICIT_ID_MODELS))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _record_load(options: DemoOptions, report: LoadReport) -> None:
    """An audit row saying what was loaded; benchmarks read it to decide whether a data set can be reused."""
    figures = {"version": DATASET_VERSION, "customers": options.customers, "orders": options.orders,
               "calls": options.calls, "seed": options.seed, "purpose": options.purpose,
               "seconds": round(report.seconds, 2), "counts": report.counts}
    AuditEntry.objects.create(actor=None, actor_name="system", action=LOAD_ACTION, object_type="demo.dataset",
                              object_id=str(options.seed),
                              object_repr=f"demo data: {options.customers} customers, {options.orders} orders",
                              after=figures)


@contextlib.contextmanager
def _timestamps_as_given() -> Iterator[None]:
    """Let bulk_create keep the creation and update times the generator chose.

    `auto_now`/`auto_now_add` fields overwrite any value with the current time on insert; the demo needs
    a week of history, so the flags are switched off on the models it writes, and restored afterwards.
    """
    written = (Customer, Order, OrderStatusChange, Shipment, ShipmentEvent, StockMovement)
    fields = [f for model in written for f in model._meta.concrete_fields
              if isinstance(f, models.DateField) and (f.auto_now or f.auto_now_add)]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add  # type: ignore[attr-defined]
