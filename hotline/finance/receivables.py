"""Receivables by courier (应收账款): the cash on delivery couriers have collected and not yet paid to us.

**Definition.** A receivable is a delivered cash-on-delivery parcel not yet remitted: a `Shipment` whose
status is *delivered*, whose order's status is *delivered* (not settled, not returned, not refused), and
whose `cod_due` is more than zero (a prepaid parcel collects nothing). Its **outstanding amount** is
`cod_due` less the sum of the order's `Payment.amount` rows (partial or short remittances count, and so do
their corrections, which are negative rows); a parcel whose payments already reach its `cod_due` owes
nothing and is left out. Refunds are not subtracted: a delivered order can be refunded only what was paid
beyond its total, which leaves nothing outstanding anyway.

**Age** is the number of whole days from the parcel's delivery date (the local date of `delivered_at` in
the business time zone, Asia/Shanghai) to the as-of date: a parcel delivered at 23:59 on 1 December is 0
days old on 1 December and 1 day old on 2 December. The buckets are 0–7, 8–15, 16–30, 31–60 and over 60
days (`BUCKETS`; a bucket's range includes both ends). Parcels delivered after the as-of date are not
counted (they were not receivables yet).

The figures are computed from the rows as they are now: `as_of` fixes the day ages are counted to, it does
not replay history. Past days' figures come from the stored daily closes (`receivables_trend`).

Speed: the totals are one SQL statement: each receivable parcel's outstanding amount computed once (the
ORM's query below, in a MATERIALIZED CTE), then grouped by courier and age bucket (a CASE on
`delivered_at` over date bounds worked out here, so no time-zone arithmetic runs in the database). It starts
from the few orders in status delivered and reads only indexes: `order_status_id`,
`shipment_order_receivable` and `payment_order_amount`. No row is loaded into Python for the totals.
Measured over 1,000,000 orders (97,549 open parcels): about 0.3 s on SQLite and PostgreSQL
(docs/benchmarks.md, finance).
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connections, transaction
from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hotline.finance.models import DailyClose, Payment
from hotline.lib.money import ZERO, yuan
from hotline.logistics.models import Courier, Shipment, ShipmentStatus
from hotline.orders.models import Status

# Wide enough for a sum of a million parcels; two places so that SQLite's sums come back rounded to the fen.
AMOUNT: DecimalField[Decimal, Decimal] = DecimalField(max_digits=16, decimal_places=2)


@dataclass(frozen=True)
class Bucket:
    """An age bucket: parcels `low` to `high` days old (`high` None: no upper limit)."""

    key: str
    low: int
    high: int | None
    label: str | Promise


BUCKETS: tuple[Bucket, ...] = (
    Bucket("0-7", 0, 7, _("0–7 days")),
    Bucket("8-15", 8, 15, _("8–15 days")),
    Bucket("16-30", 16, 30, _("16–30 days")),
    Bucket("31-60", 31, 60, _("31–60 days")),
    Bucket("61+", 61, None, _("Over 60 days")),
)
BUCKET_KEYS = tuple(bucket.key for bucket in BUCKETS)

# "Parcel delivered" is written as "in no other status" so that no index can serve it: most parcels ever
# shipped are delivered (settled orders' too), and SQLite, which has no statistics on how rare each status
# is, would otherwise walk every delivered parcel through the shipment status index (10 s over a million
# orders) instead of starting from the few orders in status delivered (0.3 s).
NOT_DELIVERED = tuple(status for status in ShipmentStatus.values if status != ShipmentStatus.DELIVERED)


@dataclass(frozen=True)
class Figure:
    """A number of parcels and what they still owe."""

    count: int = 0
    amount: Decimal = ZERO


@dataclass(frozen=True)
class AgeingRow:
    """One courier's receivables (or the total when `courier_id` is None), one `Figure` per bucket."""

    courier_id: int | None
    courier: str
    code: str
    buckets: tuple[Figure, ...]

    @property
    def count(self) -> int:
        return sum(figure.count for figure in self.buckets)

    @property
    def total(self) -> Decimal:
        return sum((figure.amount for figure in self.buckets), ZERO)

    def cells(self) -> list[tuple[Bucket, Figure]]:
        return list(zip(BUCKETS, self.buckets, strict=True))


@dataclass(frozen=True)
class Receivables:
    """The receivables on `as_of`: a row per courier owing anything (largest first) and the total row."""

    as_of: datetime.date
    rows: list[AgeingRow]
    total: AgeingRow


def business_tz() -> datetime.tzinfo:
    """The business day's time zone (settings.TIME_ZONE, Asia/Shanghai), whatever a request activated."""
    return timezone.get_default_timezone()


def today() -> datetime.date:
    return timezone.localdate(timezone=business_tz())


def day_start(day: datetime.date) -> datetime.datetime:
    """Local midnight at the start of `day`, as an aware datetime."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=business_tz())


def bucket_of(key: str) -> Bucket:
    """The bucket with this key; ValueError for any other key."""
    for bucket in BUCKETS:
        if bucket.key == key:
            return bucket
    raise ValueError(f"unknown age bucket: {key!r}")


def _delivered_in(bucket: Bucket, as_of: datetime.date) -> Q:
    """Parcels whose age on `as_of` falls in `bucket`, as a range of `delivered_at`."""
    q = Q(delivered_at__lt=day_start(as_of - datetime.timedelta(days=bucket.low - 1)))
    if bucket.high is not None:
        q &= Q(delivered_at__gte=day_start(as_of - datetime.timedelta(days=bucket.high)))
    return q


def _parcels_with_balance(as_of: datetime.date) -> QuerySet[Shipment]:
    """The delivered COD parcels on `as_of` that may still owe something, annotated with `paid` (the order's
    payments) and `outstanding` (`cod_due` less `paid`; zero or less when paid up)."""
    # SUM as a plain function, not an aggregate: the ORM then adds no GROUP BY (a sorter per parcel)
    paid = (Payment.objects.filter(order_id=OuterRef("order_id")).order_by()
            .annotate(paid=Func(F("amount"), function="SUM", output_field=AMOUNT)).values("paid"))
    return (Shipment.objects
            .filter(~Q(status__in=NOT_DELIVERED), order__status=Status.DELIVERED, cod_due__gt=0,
                    delivered_at__lt=day_start(as_of + datetime.timedelta(days=1)))
            .annotate(paid=Coalesce(Subquery(paid, output_field=AMOUNT), Value(ZERO), output_field=AMOUNT))
            .annotate(outstanding=ExpressionWrapper(F("cod_due") - F("paid"), output_field=AMOUNT)))


def receivable_parcels(as_of: datetime.date | None = None) -> QuerySet[Shipment]:
    """Every receivable parcel on `as_of` (default today), annotated with `paid` (the order's payments)
    and `outstanding` (`cod_due` less `paid`, more than zero)."""
    # "outstanding" is an annotation of _parcels_with_balance, which the type checker cannot see here
    return _parcels_with_balance(as_of or today()).filter(outstanding__gt=0)  # type: ignore[misc]


def _bucket_index(as_of: datetime.date) -> Case:
    """The index in BUCKETS of a parcel's age on `as_of`, from `delivered_at` (BUCKETS are contiguous from
    0 days, and parcels delivered after `as_of` are filtered out before)."""
    whens = [When(delivered_at__gte=day_start(as_of - datetime.timedelta(days=bucket.high)), then=Value(index))
             for index, bucket in enumerate(BUCKETS) if bucket.high is not None]
    return Case(*whens, default=Value(len(BUCKETS) - 1), output_field=IntegerField())


# The totals: each parcel's outstanding amount computed once in a CTE (the ORM's own query for the
# definition, `_parcels_with_balance`), then grouped by courier and age bucket. The ORM alone would write
# the payment sub-query into every filtered sum and into the `outstanding > 0` condition: six index probes
# per parcel instead of one. MATERIALIZED (SQLite 3.35+, PostgreSQL 12+) keeps either database from
# folding the CTE back into the outer query, which would repeat the sub-query in the WHERE and the SUM.
TOTALS_SQL = """
WITH parcel AS MATERIALIZED ({parcels})
SELECT courier_id, bucket, COUNT(*), SUM(outstanding)
FROM parcel
WHERE outstanding > 0
GROUP BY courier_id, bucket
"""


def _grouped_totals(as_of: datetime.date) -> dict[int, list[Figure]]:
    """{courier id: a Figure per bucket} of the receivables on `as_of`, in one statement."""
    # "outstanding" is _parcels_with_balance's annotation, which the type checker cannot see here
    parcels = (_parcels_with_balance(as_of).annotate(bucket=_bucket_index(as_of))
               .values("courier_id", "bucket", "outstanding").order_by())  # type: ignore[misc]
    inner, params = parcels.query.get_compiler(using=parcels.db).as_sql()
    totals: dict[int, list[Figure]] = {}
    for courier_id, bucket, count, amount in _fetch(TOTALS_SQL.format(parcels=inner), params, parcels.db):
        figures = totals.setdefault(courier_id, [Figure()] * len(BUCKETS))
        # SQLite sums decimals as floats: back to Decimal yuan, rounded to the fen
        figures[bucket] = Figure(count, yuan(Decimal(str(amount))))
    return totals


# PostgreSQL's planner joins the ~10 % of orders delivered to their parcels with a hash join over a sequential
# scan of every parcel ever shipped (it prices the 100,000 index look-ups far above what they cost once the
# covering indexes `order_status_id` and `shipment_order_receivable` serve them without reading the tables):
# 460–630 ms against 380–420 ms with the nested loop over the indexes, over a million orders. Hash and merge
# joins are switched off for this one statement only: set_config(…, true) is SET LOCAL, inside a transaction
# (or a savepoint, whose rollback undoes it), put back as they were after it since a caller's transaction may
# go on. SQLite always joins by nested loops.
PLANNER_SETTINGS = ("enable_hashjoin", "enable_mergejoin")


def _fetch(sql: str, params: Any, using: str) -> list[tuple[Any, ...]]:
    """The rows of one statement; on PostgreSQL, with the nested loop join the receivables need."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"current_setting('{name}')" for name in PLANNER_SETTINGS))
        before = cursor.fetchone()
        cursor.execute("SELECT " + ", ".join(f"set_config('{name}', 'off', true)" for name in PLANNER_SETTINGS))
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        cursor.execute("SELECT " + ", ".join(f"set_config('{name}', %s, true)" for name in PLANNER_SETTINGS),
                       list(before or ()))
    return rows


def receivables(as_of: datetime.date | None = None) -> Receivables:
    """The receivables on `as_of` (default today) per courier and age bucket, and their total: one
    grouped query (and one for the couriers' names)."""
    as_of = as_of or today()
    grouped = _grouped_totals(as_of)
    names = {pk: (name, code) for pk, name, code in
             Courier.objects.filter(pk__in=list(grouped)).values_list("pk", "name", "code")}
    rows = [AgeingRow(courier_id, *names[courier_id], tuple(figures)) for courier_id, figures in grouped.items()]
    rows.sort(key=lambda row: (-row.total, row.courier))
    return Receivables(as_of, rows, _total_row(rows))


def _total_row(rows: list[AgeingRow]) -> AgeingRow:
    buckets = tuple(Figure(sum(row.buckets[i].count for row in rows),
                           sum((row.buckets[i].amount for row in rows), ZERO)) for i in range(len(BUCKETS)))
    return AgeingRow(None, str(_("Total")), "", buckets)


# ---------------------------------------------------------------- the drill-down

@dataclass(frozen=True)
class ReceivableRow:
    """One receivable parcel as the drill-down and the export show it."""

    shipment_id: int
    order_number: str
    customer: str
    courier: str
    tracking_number: str
    delivered_at: datetime.datetime  # local time
    days: int
    due: Decimal
    paid: Decimal
    outstanding: Decimal


class ReceivableRows:
    """The receivable parcels of a drill-down, oldest delivery first. `count()` and slicing let a Paginator
    page it: a page reads the ordered ids first, then only its own rows with their order and customer (so
    the database does not join every receivable to its customer to sort them); iterating streams every
    row in chunks."""

    CHUNK = 2000

    def __init__(self, parcels: QuerySet[Shipment], as_of: datetime.date) -> None:
        self.parcels = parcels.order_by("delivered_at", "pk")
        self.as_of = as_of

    def count(self) -> int:
        return self.parcels.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[ReceivableRow]:
        ids = list(self.parcels.values_list("pk", flat=True)[index])
        details = {values["pk"]: values for values in _with_details(self.parcels.filter(pk__in=ids))}
        return [self._row(details[pk]) for pk in ids if pk in details]

    def __iter__(self) -> Iterator[ReceivableRow]:
        return (self._row(values) for values in _with_details(self.parcels).iterator(chunk_size=self.CHUNK))

    def _row(self, values: dict[str, Any]) -> ReceivableRow:
        delivered = timezone.localtime(values["delivered_at"], business_tz())
        return ReceivableRow(
            shipment_id=values["pk"], order_number=values["order__number"], customer=values["order__customer__name"],
            courier=values["courier__name"], tracking_number=values["tracking_number"] or "", delivered_at=delivered,
            days=(self.as_of - delivered.date()).days, due=yuan(values["cod_due"]), paid=yuan(values["paid"]),
            outstanding=yuan(values["outstanding"]))


def _with_details(parcels: QuerySet[Shipment]) -> QuerySet[Shipment, dict[str, Any]]:
    """Plain values, not model instances: five times faster over tens of thousands of rows."""
    # "paid" and "outstanding" are receivable_parcels' annotations, which the type checker cannot see here
    return parcels.values("pk", "tracking_number", "delivered_at", "cod_due", "paid",  # type: ignore[misc]
                          "outstanding", "order__number", "order__customer__name", "courier__name")


def receivable_rows(courier: Courier | int | None = None, bucket: str | None = None,
                    as_of: datetime.date | None = None) -> ReceivableRows:
    """The receivable parcels on `as_of` (default today), of one courier and one age bucket when given
    (ValueError for an unknown bucket key), oldest delivery first."""
    as_of = as_of or today()
    parcels = receivable_parcels(as_of)
    if courier is not None:
        # `courier_id + 0`, not `courier_id`: with the bare column SQLite walks the courier's every parcel
        # ever shipped through its index, instead of starting from the orders in status delivered.
        courier_key = ExpressionWrapper(F("courier_id") + 0, output_field=IntegerField())
        parcels = parcels.alias(courier_key=courier_key).filter(
            courier_key=courier if isinstance(courier, int) else courier.pk)
    if bucket is not None:
        parcels = parcels.filter(_delivered_in(bucket_of(bucket), as_of))
    return ReceivableRows(parcels, as_of)


# ---------------------------------------------------------------- the Excel export

# The export is written inside the request, up to 50,000 rows. openpyxl's write-only mode keeps memory flat
# (the file is about 45 bytes a row) but serialises XML in pure Python (lxml is not installed): 30,000 rows
# took 1 s of CPU to read and 7 s to write on a busy two-core machine. Receivables larger than that
# (hundreds of thousands of unremitted parcels) would need a worker job with a progress bar, like the
# logistics exports; until then the file holds the 50,000 oldest rows and says how many it left out, and the
# screen asks for one courier or one age bucket at a time.
EXPORT_LIMIT = 50_000
MONEY_FORMAT = "#,##0.00"


def receivables_workbook(summary: Receivables, rows: ReceivableRows, *, limit: int = EXPORT_LIMIT) -> bytes:
    """An .xlsx of the receivables: the summary by courier and age bucket, then the parcels of `rows`
    (at most `limit` of them, oldest first; a last line says how many were left out)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    _summary_sheet(workbook, summary)
    sheet = workbook.create_sheet(title=str(_("Parcels")))
    sheet.freeze_panes = "A2"
    sheet.append(_bold(sheet, [_("Order number"), _("Customer"), _("Courier"), _("Tracking number"),
                               _("Delivered at"), _("Days"), _("COD due"), _("Paid"), _("Outstanding")]))
    for written, row in enumerate(rows):
        if written == limit:
            left = rows.count() - limit
            sheet.append([ngettext("%(count)d more parcel not written: export one courier or one age at a time.",
                                   "%(count)d more parcels not written: export one courier or one age at a time.",
                                   left) % {"count": left}])
            break
        sheet.append([_text(sheet, row.order_number), _text(sheet, row.customer), _text(sheet, row.courier),
                      _text(sheet, row.tracking_number), _when(row.delivered_at), row.days,
                      _money(sheet, row.due), _money(sheet, row.paid), _money(sheet, row.outstanding)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _summary_sheet(workbook: Any, summary: Receivables) -> None:
    sheet = workbook.create_sheet(title=str(_("Receivables")))
    sheet.append([_("Receivables on %(day)s") % {"day": summary.as_of.isoformat()}])
    sheet.append(_bold(sheet, [_("Courier"), _("Parcels"), *[bucket.label for bucket in BUCKETS], _("Total")]))
    for row in [*summary.rows, summary.total]:
        sheet.append([_text(sheet, row.courier), row.count,
                      *[_money(sheet, figure.amount) for figure in row.buckets], _money(sheet, row.total)])


def _bold(sheet: Any, labels: list[Any]) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cells = []
    for label in labels:
        cell = WriteOnlyCell(sheet, value=str(label))
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def _text(sheet: Any, value: str) -> Any:
    """Text that stays text: a customer called "=HYPERLINK(…)" is not a formula, "#N/A" not an error. Only
    those get a cell of their own (a cell object per value is what makes openpyxl slow)."""
    from openpyxl.cell import WriteOnlyCell

    if not value.startswith(("=", "#")):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def _money(sheet: Any, value: Decimal) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = MONEY_FORMAT
    return cell


def _when(value: datetime.datetime) -> datetime.datetime:
    """A local time without its zone (Excel has none); openpyxl gives it a date format."""
    return value.replace(tzinfo=None)


# ---------------------------------------------------------------- the daily close's figure and the trend

def outstanding_figure(figures: Receivables) -> dict[str, Any]:
    """The receivables as the daily close stores them under `figures["outstanding"]` (amounts as strings
    of Decimal yuan): {"count", "amount", "by_courier": {code: {"count", "amount"}}, "buckets": {key: {…}}}."""
    return {
        "count": figures.total.count, "amount": str(figures.total.total),
        "by_courier": {row.code: {"count": row.count, "amount": str(row.total)} for row in figures.rows},
        "buckets": {bucket.key: {"count": figure.count, "amount": str(figure.amount)}
                    for bucket, figure in figures.total.cells()},
    }


@dataclass(frozen=True)
class TrendPoint:
    """The receivables at the end of a day: from its stored close, or live for today. `amount` is None
    for a day with no close stored (or one that did not record the figure)."""

    day: datetime.date
    amount: Decimal | None
    by_courier: dict[str, Decimal]
    live: bool = False


def receivables_trend(days: int = 30, *, live: Receivables | None = None) -> list[TrendPoint]:
    """The last `days` days, oldest first: each past day's outstanding total (and per courier, when the
    close recorded it) from its DailyClose, and today's live figure (`live`, computed when not given)."""
    live = live or receivables()
    start = live.as_of - datetime.timedelta(days=days - 1)
    stored = dict(DailyClose.objects.filter(day__gte=start, day__lt=live.as_of).values_list("day", "figures"))
    names = _courier_names()
    points = []
    for offset in range(days - 1):
        day = start + datetime.timedelta(days=offset)
        figures = stored.get(day)
        points.append(_stored_point(day, figures.get("outstanding") if isinstance(figures, dict) else None, names))
    points.append(TrendPoint(live.as_of, live.total.total, {row.courier: row.total for row in live.rows}, live=True))
    return points


def _courier_names() -> dict[str, str]:
    """A courier's name by its code, its id (as text) and its name: how a close may have keyed it."""
    names: dict[str, str] = {}
    for pk, code, name in Courier.objects.values_list("pk", "code", "name"):
        names.update({code: name, str(pk): name, name: name})
    return names


def _stored_point(day: datetime.date, figure: Any, names: dict[str, str]) -> TrendPoint:
    if not isinstance(figure, dict):
        return TrendPoint(day, None, {})
    by_courier = {}
    for key, value in (figure.get("by_courier") or {}).items():
        amount = _amount(value.get("amount") if isinstance(value, dict) else value)
        if amount is not None:
            by_courier[names.get(str(key), str(key))] = amount
    return TrendPoint(day, _amount(figure.get("amount")), by_courier)


def _amount(value: Any) -> Decimal | None:
    """A stored amount (text or number) as Decimal yuan; None when absent or unreadable."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return yuan(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None
