"""The data set of `hotline bench finance`: a year of a TV-shopping company's orders, a million by default,
written with raw multi-row INSERTs (SQLite) or COPY (PostgreSQL), and the courier's remittance statement.

On top of a small demo data set (its couriers, users and customers), `--orders` orders are generated, each
of a kind drawn from a fixed cycle of 100 so that the counts are exact for any size:

    82 settled      delivered 10–365 days ago and remitted by the courier: a COD payment with its statement
                    line (one statement per courier and week), a settlement entry. One in ten of them is
                    prepaid instead (a transfer before shipping, no statement line).
     4 open         delivered 0–90 days ago, not remitted yet: the ageing tail of the receivables
     1 partial      delivered 15–90 days ago, remitted short (¥10 less): a payment, a short line, an open item
     4 refused      refused at the door 5–365 days ago
     2 returned     refused, then back at the warehouse
     3 in transit   shipped 0–3 days ago
     2 cancelled    before review, no parcel
     2 ordered      placed in the last day, not reviewed

The first `--lines` orders are instead EMS parcels delivered 1–20 days ago and not remitted: the parcels of
the statement being matched (a courier remits in bulk, weeks after the door), so the open receivables are
those plus the 4 % tail. Order lines and tracking events are not written: neither the receivables nor
the matching read them.
"""

from __future__ import annotations

import datetime
import random
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from hotline.accounts.models import AuditEntry, User
from hotline.accounts.permissions import Role
from hotline.bench.base import Writer
from hotline.bench.targets import BenchError
from hotline.crm.models import Customer
from hotline.finance.models import (
    CourierColumns,
    LineOutcome,
    OpenItem,
    OpenItemKind,
    Payment,
    PayMethod,
    RemittanceLine,
    RemittanceStatement,
    SettlementEntry,
    SettlementKind,
)
from hotline.lib.money import ZERO, yuan
from hotline.logistics.models import Courier, Shipment, ShipmentStatus
from hotline.orders.models import DeliveryMethod, Order, PaymentMethod, Status

GENERATOR_VERSION = 1
RECORD_ACTION = "bench_finance_data"
CHUNK = 50_000
SQLITE_CACHE_KIB = 2_000_000  # the default 2 MB cache makes every index insert a page read past 100,000 rows
DAY = datetime.timedelta(days=1)
# The kinds of one cycle of 100 orders, interleaved so that any stretch of orders holds a bit of each.
KIND_COUNTS = {"settled": 82, "open": 4, "partial": 1, "refused": 4, "returned": 2, "transit": 3, "cancelled": 2,
               "ordered": 2}
# Couriers' shares of the parcels, one cycle of 20.
COURIER_CYCLE = ("ems",) * 8 + ("post",) * 3 + ("sf",) * 2 + ("yto",) * 3 + ("suda",) * 2 + ("fleet",) * 2
DELIVERY = {"ems": DeliveryMethod.EMS, "post": DeliveryMethod.POST}
PRICES = ("98.00", "128.00", "168.00", "198.00", "258.00", "298.00", "368.00", "398.00", "498.00", "598.00",
          "698.00", "798.00", "998.00", "1280.00", "1580.00", "199.90", "299.50", "2380.00")
SHORT_BY = Decimal("10.00")
# The columns of the bench's statement: EMS's 代收款结算清单 (saved as its mapping, as a clerk would once).
STATEMENT_COLUMNS = {"tracking_number": "邮件号", "order_number": "订单号", "collected": "代收金额",
                     "fee": "手续费", "net": "实付金额"}


def _interleave(counts: dict[str, int]) -> tuple[str, ...]:
    """The kinds spread over the cycle: kind k's j-th order at position (j + 0.5) / n of the cycle."""
    placed = sorted(((j + 0.5) / n, position, kind) for position, (kind, n) in enumerate(counts.items())
                    for j in range(n))
    return tuple(kind for _at, _position, kind in placed)


PATTERN = _interleave(KIND_COUNTS)


def kind_of(index: int, lines: int) -> str:
    """What order `index` (0-based) of the generated ones is: `statement` for the statement's parcels."""
    return "statement" if index < lines else PATTERN[(index - lines) % len(PATTERN)]


def courier_of(index: int, lines: int) -> str:
    if index < lines:
        return "ems"
    return COURIER_CYCLE[((index - lines) // len(PATTERN) + index) % len(COURIER_CYCLE)]


def is_prepaid(index: int, lines: int) -> bool:
    """One settled order in ten was paid by transfer before it shipped."""
    return kind_of(index, lines) == "settled" and ((index - lines) // len(PATTERN)) % 10 == 3


def expected_counts(orders: int, lines: int) -> dict[str, int]:
    """Orders per kind, as the generator writes them (tests check the bench's report against this)."""
    counts = Counter(kind_of(index, lines) for index in range(orders))
    counts["prepaid"] = sum(is_prepaid(index, lines) for index in range(orders))
    return dict(counts)


def order_number(index: int) -> str:
    return f"FB{index + 1:010d}"


def tracking_number(index: int, courier: str) -> str:
    return f"{courier.upper()}{index + 1:010d}CN"


# ---------------------------------------------------------------- writing rows fast

class Table:
    """Raw bulk writes to one model's table: the given fields per row, the other columns at their defaults."""

    def __init__(self, model: type[models.Model], fields: Sequence[str]) -> None:
        self.model, self.fields = model, list(fields)
        concrete = {f.attname: f for f in model._meta.concrete_fields}
        self.rest = [f for f in concrete.values() if f.attname not in self.fields and not f.primary_key]
        self.columns = [concrete[name].column for name in self.fields] + [f.column for f in self.rest]
        self.defaults = tuple(None if f.null and not f.has_default() else f.get_default() for f in self.rest)
        self.sqlite = connection.vendor == "sqlite"

    def _value(self, value: Any) -> Any:
        if not self.sqlite or value is None:
            return value
        if isinstance(value, datetime.datetime):
            return connection.ops.adapt_datetimefield_value(value)
        if isinstance(value, Decimal | datetime.date):
            return str(value)
        return value

    def insert(self, rows: Iterable[Sequence[Any]]) -> int:
        """Write the rows (values in `fields` order); the number written."""
        table = self.model._meta.db_table
        names = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        count = 0
        raw = connection.connection
        if self.sqlite:
            marks = ", ".join("?" * len(self.columns))
            batch = [tuple(self._value(v) for v in row) + self.defaults for row in rows]
            raw.executemany(f"INSERT INTO {connection.ops.quote_name(table)} ({names}) VALUES ({marks})", batch)
            return len(batch)
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row, *self.defaults))
                count += 1
        return count


def next_id(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1


# ---------------------------------------------------------------- the orders of one chunk

@dataclass
class Context:
    """What every chunk needs: couriers, customers, the finance clerk, ids handed out so far."""

    now: datetime.datetime
    lines: int
    couriers: dict[str, Courier]
    customers: list[int]
    clerk: int
    rng: random.Random
    order_id: int
    shipment_id: int
    line_id: int
    statements: dict[tuple[str, int], int] = field(default_factory=dict)
    statement_lines: Counter[int] = field(default_factory=Counter)
    totals: dict[int, list[Decimal]] = field(default_factory=lambda: defaultdict(lambda: [ZERO, ZERO, ZERO]))
    weeks: dict[int, datetime.date] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def statement(self, courier: str, at: datetime.datetime) -> int:
        """The statement (courier, week of the remittance) a line goes on; ids handed out as first needed."""
        day = timezone.localdate(at)
        monday = day - datetime.timedelta(days=day.weekday())
        key = (courier, monday.toordinal())
        if key not in self.statements:
            self.statements[key] = next_id(RemittanceStatement) + len(self.statements)
            self.weeks[self.statements[key]] = monday
        return self.statements[key]


@dataclass
class Rows:
    orders: list[tuple[Any, ...]] = field(default_factory=list)
    shipments: list[tuple[Any, ...]] = field(default_factory=list)
    lines: list[tuple[Any, ...]] = field(default_factory=list)
    payments: list[tuple[Any, ...]] = field(default_factory=list)
    settlements: list[tuple[Any, ...]] = field(default_factory=list)
    open_items: list[tuple[Any, ...]] = field(default_factory=list)


ORDER_FIELDS = ("id", "number", "status", "customer_id", "delivery_method", "recipient", "recipient_phone",
                "province", "city", "address_detail", "payment_method", "subtotal", "total", "created_at",
                "updated_at", "settled_at", "settled_amount")
SHIPMENT_FIELDS = ("id", "order_id", "courier_id", "status", "tracking_number", "weight_kg", "zone", "freight",
                   "cod_due", "cod_fee", "return_freight", "delivery_days", "created_at", "shipped_at",
                   "delivered_at", "refused_at", "returned_at", "refusal_reason", "last_event_at")
LINE_FIELDS = ("id", "statement_id", "line", "tracking_number", "order_number", "collected", "fee", "net",
               "outcome", "shipment_id", "order_id", "expected", "expected_fee", "recorded_by_id", "recorded_at")
PAYMENT_FIELDS = ("order_id", "method", "amount", "reference", "received_at", "remittance_line_id",
                  "recorded_by_id", "recorded_at")
SETTLEMENT_FIELDS = ("order_id", "kind", "amount", "statement_id", "recorded_by_id", "recorded_at")
OPEN_ITEM_FIELDS = ("courier_id", "kind", "statement_id", "line_id", "shipment_id", "order_id", "tracking_number",
                    "amount", "detail", "status", "created_at")
STATEMENT_FIELDS = ("id", "courier_id", "number", "period_start", "period_end", "stated_total", "collected_total",
                    "fee_total", "net_total", "bank_total", "file_name", "applied_by_id", "applied_at")


def _ago(ctx: Context, low: float, high: float) -> datetime.datetime:
    return (ctx.now - datetime.timedelta(days=ctx.rng.uniform(low, high))).replace(microsecond=0)


def _timeline(ctx: Context, kind: str) -> dict[str, datetime.datetime | None]:
    """When the order was placed, shipped, delivered, refused, returned and settled, for its kind."""
    t: dict[str, datetime.datetime | None] = dict.fromkeys(
        ("shipped", "delivered", "refused", "returned", "settled"))
    hour_ago = ctx.now - datetime.timedelta(hours=1)
    if kind in ("settled", "open", "partial", "statement"):
        low, high = {"settled": (10, 365), "open": (0, 90), "partial": (15, 90), "statement": (1, 20)}[kind]
        delivered = t["delivered"] = _ago(ctx, low, high)
        t["shipped"] = delivered - datetime.timedelta(days=ctx.rng.uniform(1, 4))
        if kind in ("settled", "partial"):
            t["settled"] = min(delivered + datetime.timedelta(days=ctx.rng.uniform(5, 10)), hour_ago)
    elif kind in ("refused", "returned"):
        refused = t["refused"] = _ago(ctx, 5, 365)
        t["shipped"] = refused - datetime.timedelta(days=ctx.rng.uniform(1, 4))
        if kind == "returned":
            t["returned"] = min(refused + 4 * DAY, hour_ago)
    elif kind == "transit":
        t["shipped"] = _ago(ctx, 0, 3)
    start = t["shipped"] or (_ago(ctx, 0, 1) if kind == "ordered" else _ago(ctx, 0, 365))
    t["created"] = start - datetime.timedelta(hours=ctx.rng.uniform(2, 30)) if t["shipped"] else start
    return t


STATUS = {"settled": Status.SETTLED, "open": Status.DELIVERED, "partial": Status.DELIVERED,
          "statement": Status.DELIVERED, "refused": Status.REFUSED, "returned": Status.RETURNED,
          "transit": Status.SHIPPED, "cancelled": Status.CANCELLED, "ordered": Status.ORDERED}
PARCEL = {"settled": ShipmentStatus.DELIVERED, "open": ShipmentStatus.DELIVERED, "partial": ShipmentStatus.DELIVERED,
          "statement": ShipmentStatus.DELIVERED, "refused": ShipmentStatus.REFUSED,
          "returned": ShipmentStatus.RETURNED, "transit": ShipmentStatus.IN_TRANSIT}


def _order(ctx: Context, rows: Rows, index: int) -> None:
    """One order's rows: the order, its parcel, and the money that came in for it."""
    kind, code = kind_of(index, ctx.lines), courier_of(index, ctx.lines)
    prepaid = is_prepaid(index, ctx.lines)
    total = Decimal(ctx.rng.choice(PRICES))
    t = _timeline(ctx, kind)
    order_id = ctx.order_id
    ctx.order_id += 1
    ctx.counts[kind] += 1
    ctx.counts["prepaid"] += prepaid
    last = max(v for v in t.values() if v is not None)
    rows.orders.append((order_id, order_number(index), STATUS[kind], ctx.customers[index % len(ctx.customers)],
                        DELIVERY.get(code, DeliveryMethod.COURIER), "王秀英", "13800000000", "广东省", "广州市",
                        "天河路1号", PaymentMethod.TRANSFER if prepaid else PaymentMethod.COD, total, total,
                        t["created"], last, t["settled"], total if t["settled"] else None))
    if prepaid:
        rows.payments.append((order_id, PayMethod.TRANSFER, total, f"TR{index:010d}", t["created"], None,
                              ctx.clerk, t["created"]))
    if kind not in PARCEL:
        return
    courier = ctx.couriers[code]
    cod_due = ZERO if prepaid else total
    fee = yuan(max(cod_due * courier.cod_fee_percent / 100, courier.cod_fee_min)) if cod_due else ZERO
    shipment_id = ctx.shipment_id
    ctx.shipment_id += 1
    tracking = tracking_number(index, code)
    rows.shipments.append((shipment_id, order_id, courier.pk, PARCEL[kind], tracking, Decimal("1.20"), "二区",
                           Decimal("12.00"), cod_due, fee, Decimal("6.00") if kind == "returned" else ZERO, 3,
                           t["shipped"], t["shipped"], t["delivered"], t["refused"], t["returned"],
                           "客户拒收" if t["refused"] else "", last))
    if kind == "settled":
        if not prepaid:
            _remitted(ctx, rows, (code, order_id, shipment_id, tracking, index), total, total, fee, t)
        rows.settlements.append((order_id, SettlementKind.SETTLE, total,
                                 None if prepaid else ctx.statement(code, t["settled"] or ctx.now), ctx.clerk,
                                 t["settled"]))
    elif kind == "partial":
        _remitted(ctx, rows, (code, order_id, shipment_id, tracking, index), total, total - SHORT_BY, fee, t)


def _remitted(ctx: Context, rows: Rows, parcel: tuple[str, int, int, str, int], due: Decimal, collected: Decimal,
              fee: Decimal, t: dict[str, datetime.datetime | None]) -> None:
    """The courier's statement line for a parcel and the COD payment it made (an open item when short)."""
    code, order_id, shipment_id, tracking, index = parcel
    at: datetime.datetime = t["settled"] or ctx.now
    statement = ctx.statement(code, at)
    ctx.statement_lines[statement] += 1
    line_id = ctx.line_id
    ctx.line_id += 1
    outcome = LineOutcome.MATCHED if collected == due else LineOutcome.SHORT
    rows.lines.append((line_id, statement, ctx.statement_lines[statement], tracking, order_number(index), collected,
                       fee, collected - fee, outcome, shipment_id, order_id, due, fee, ctx.clerk, at))
    rows.payments.append((order_id, PayMethod.COD, collected, "", at, line_id, ctx.clerk, at))
    totals = ctx.totals[statement]
    totals[0], totals[1], totals[2] = totals[0] + collected, totals[1] + fee, totals[2] + collected - fee
    if outcome == LineOutcome.SHORT:
        rows.open_items.append((ctx.couriers[code].pk, OpenItemKind.SHORT, statement, line_id, shipment_id, order_id,
                                tracking, due - collected, "少付", "open", at))


def _statement_rows(ctx: Context) -> Iterator[tuple[Any, ...]]:
    for (code, _monday), statement in ctx.statements.items():
        collected, fee, net = ctx.totals[statement]
        monday = ctx.weeks[statement]
        applied = timezone.make_aware(datetime.datetime.combine(monday + datetime.timedelta(days=6),
                                                                datetime.time(17)))
        yield (statement, ctx.couriers[code].pk, f"{code.upper()}-{monday:%Y%m%d}", monday - 7 * DAY,
               monday - DAY, net, collected, fee, net, net, f"{code}-{monday:%Y%m%d}.xlsx", ctx.clerk,
               min(applied, ctx.now))


# ---------------------------------------------------------------- the whole data set

def generate(orders: int, lines: int, seed: int, err: Writer) -> dict[str, Any]:
    """Write `orders` orders (the first `lines` of them the statement's parcels), in one transaction."""
    couriers = {courier.code: courier for courier in Courier.objects.all()}
    missing = sorted(set(COURIER_CYCLE) - set(couriers))
    if missing:
        raise BenchError(f"The data set lacks the demo couriers {', '.join(missing)}.")
    clerk = User.objects.filter(role=Role.FINANCE).order_by("pk").values_list("pk", flat=True).first()
    customers = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[:5000])
    if clerk is None or not customers:
        raise BenchError("The data set has no finance user or no customers.")
    ctx = Context(now=timezone.now().replace(microsecond=0), lines=lines, couriers=couriers, customers=customers,
                  clerk=clerk, rng=random.Random(f"bench-finance-{seed}"), order_id=next_id(Order),
                  shipment_id=next_id(Shipment), line_id=next_id(RemittanceLine))
    tables = {name: Table(model, fields) for name, model, fields in (
        ("orders", Order, ORDER_FIELDS), ("shipments", Shipment, SHIPMENT_FIELDS),
        ("lines", RemittanceLine, LINE_FIELDS), ("payments", Payment, PAYMENT_FIELDS),
        ("settlements", SettlementEntry, SETTLEMENT_FIELDS), ("open_items", OpenItem, OPEN_ITEM_FIELDS))}
    written: Counter[str] = Counter()
    started = time.perf_counter()
    if connection.vendor == "sqlite":  # a million rows' indexes: keep them in memory, write once at the end
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            cursor.execute("PRAGMA synchronous = OFF")
    with transaction.atomic():
        for start in range(0, orders, CHUNK):
            rows = Rows()
            for index in range(start, min(orders, start + CHUNK)):
                _order(ctx, rows, index)
            for name, table in tables.items():
                written[name] += table.insert(getattr(rows, name))
            err.write(f"  {min(orders, start + CHUNK):,} orders written\n")
        written["statements"] = Table(RemittanceStatement, STATEMENT_FIELDS).insert(list(_statement_rows(ctx)))
        CourierColumns.objects.update_or_create(courier=couriers["ems"], defaults={"remittance": STATEMENT_COLUMNS})
        _reset_sequences()
        figures = {"kinds": dict(sorted(ctx.counts.items())), "rows": dict(sorted(written.items())),
                   "seconds": round(time.perf_counter() - started, 1)}
        record_generation(orders, lines, seed, figures)
    return figures


def _reset_sequences() -> None:
    """Move id sequences past the explicit ids (PostgreSQL), or the app's next row would collide."""
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), [Order, Shipment, RemittanceLine,
                                                                 RemittanceStatement])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")


def record_generation(orders: int, lines: int, seed: int, figures: dict[str, Any]) -> None:
    AuditEntry.objects.create(actor=None, actor_name="system", action=RECORD_ACTION, object_type="bench.finance",
                              object_id=str(seed), object_repr=f"bench finance: {orders} orders, {lines} lines",
                              after={"version": GENERATOR_VERSION, "orders": orders, "lines": lines, "seed": seed,
                                     **figures})


def generated() -> dict[str, Any] | None:
    """What the last generation wrote in this database, if any."""
    entry = AuditEntry.objects.filter(action=RECORD_ACTION).order_by("-id").first()
    return entry.after if entry is not None and isinstance(entry.after, dict) else None
