"""Business reports (业务查询类, 财务结算类, 售后服务类, 物流配送类, 销售管理类): sales, gifts, points, complaints,
logistics, finance and callers over a period. Every figure is an SQL count or sum; each section's
`*_figures` function gives the figures the screen, the comparison with the previous period and the tests
read. Definitions (every figure, its rows): /tmp/helpers/doc-media-business.md.

**Orders of the period** are the orders *created* in it that were not cancelled (the funnel's "orders");
delivered orders and delivered revenue are media's `delivered_q` (delivered or settled: reached the
customer and not come back).
"""

from __future__ import annotations

import datetime
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, Substr
from phonenumbers import NumberParseException

from hotline.calls.models import Direction
from hotline.crm.models import CustomerPhone
from hotline.finance import close
from hotline.finance.models import Payment, Refund, SettlementEntry, SettlementKind
from hotline.lib.money import ZERO, yuan
from hotline.lib.phones import PhoneInfo, phone_info
from hotline.logistics.models import Shipment
from hotline.orders.models import Order, OrderLine, Status
from hotline.reports.media import AMOUNT, delivered_q, money_sum, order_station
from hotline.reports.models import CallFact
from hotline.reports.periods import Period, bucket_annotations, bucket_start
from hotline.service.models import Complaint

NOT_CANCELLED = tuple(status for status in Status.values if status != Status.CANCELLED)
DAY_SECONDS = 86400


def share(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def period_orders(period: Period) -> QuerySet[Order]:
    """The orders of the period: created in it, not cancelled."""
    return Order.objects.filter(created_at__gte=period.start, created_at__lt=period.end).exclude(
        status=Status.CANCELLED)


def period_lines(period: Period, gifts: bool = False) -> QuerySet[OrderLine]:
    """The lines (gift lines when `gifts`, else the sold ones) of the period's orders."""
    return OrderLine.objects.filter(is_gift=gifts, order__created_at__gte=period.start,
                                    order__created_at__lt=period.end).exclude(order__status=Status.CANCELLED)


# ---------------------------------------------------------------- sales (销售管理)

ORDER_FIGURES = {"orders": Count("pk"), "value": money_sum("total"), "delivered": Count("pk", filter=delivered_q()),
                 "revenue": money_sum("total", delivered_q())}


def _order_row(row: dict[str, Any]) -> dict[str, Any]:
    return {"orders": row["orders"], "value": yuan(row["value"]), "delivered": row["delivered"],
            "revenue": yuan(row["revenue"])}


def sales_totals(period: Period) -> dict[str, Any]:
    """orders, value (Σ total), delivered, revenue (Σ total of the delivered), units (sold, gifts apart)."""
    totals = _order_row(period_orders(period).aggregate(**ORDER_FIGURES))
    totals["units"] = period_lines(period).aggregate(n=Sum("quantity"))["n"] or 0
    return totals


def sales_by_order_field(period: Period, key: Any) -> dict[Any, dict[str, Any]]:
    """{key value: figures} with `key` a field name or an expression (annotated as `key`)."""
    orders = period_orders(period).annotate(key=key if not isinstance(key, str) else F(key))
    return {row["key"]: _order_row(row) for row in orders.order_by().values("key").annotate(**ORDER_FIGURES)}


def sales_by_station(period: Period) -> dict[int | None, dict[str, Any]]:
    return sales_by_order_field(period, order_station())


def sales_by_region(period: Period) -> dict[str, dict[str, Any]]:
    return sales_by_order_field(period, "province")


def sales_by_bucket(period: Period) -> dict[datetime.datetime, dict[str, Any]]:
    annotations = bucket_annotations("created_at", period.grain, period)
    rows = period_orders(period).annotate(**annotations).order_by().values(*annotations).annotate(**ORDER_FIGURES)
    found: dict[datetime.datetime, dict[str, Any]] = {}
    for row in rows:
        found[bucket_start(row, period.grain)] = _order_row(row)
    return found


LINE_FIGURES = {"orders": Count("order_id", distinct=True), "units": Sum("quantity"), "value": money_sum("line_total"),
                "delivered": Count("order_id", distinct=True, filter=delivered_q("order__")),
                "revenue": money_sum("line_total", delivered_q("order__"))}


def _line_row(row: dict[str, Any]) -> dict[str, Any]:
    return {"orders": row["orders"], "units": row["units"] or 0, "value": yuan(row["value"]),
            "delivered": row["delivered"], "revenue": yuan(row["revenue"])}


def sales_by_product(period: Period) -> dict[int, dict[str, Any]]:
    """Per product: orders with a sold line of it, units, value (Σ line totals), delivered orders and
    delivered revenue (Σ line totals on delivered orders)."""
    rows = period_lines(period).order_by().values("product_id", "product__name").annotate(**LINE_FIGURES)
    return {row["product_id"]: {"name": row["product__name"], **_line_row(row)} for row in rows}


def sales_by_supplier(period: Period) -> dict[int | None, dict[str, Any]]:
    """The catalogue has no product category: products are grouped by their supplier (None: no supplier)."""
    rows = (period_lines(period).order_by().values("product__supplier_id", "product__supplier__name")
            .annotate(**LINE_FIGURES))
    return {row["product__supplier_id"]: {"name": row["product__supplier__name"] or "", **_line_row(row)}
            for row in rows}


# ---------------------------------------------------------------- gifts (赠品) and points (积分)

def gifts_by_product(period: Period) -> dict[int, dict[str, Any]]:
    """Per gift product: units on the period's orders (`issued`), the orders, and the units on the delivered
    ones (`delivered_units`: the gifts that reached customers)."""
    rows = (period_lines(period, gifts=True).order_by().values("product_id", "product__name")
            .annotate(issued=Sum("quantity"), orders=Count("order_id", distinct=True),
                      delivered_units=Coalesce(Sum("quantity", filter=delivered_q("order__")), 0)))
    return {row["product_id"]: {"name": row["product__name"], "issued": row["issued"] or 0,
                                "orders": row["orders"], "delivered_units": row["delivered_units"]} for row in rows}


def gift_totals(period: Period) -> dict[str, Any]:
    rows = gifts_by_product(period).values()
    return {"issued": sum(r["issued"] for r in rows), "delivered_units": sum(r["delivered_units"] for r in rows),
            "orders": period_lines(period, gifts=True).values("order_id").distinct().count()}


# aliases apart from the field's name: an aggregate named like the field it sums shadows it
POINT_FIGURES = {"n_orders": Count("pk"), "n_points": Coalesce(Sum("points"), 0),
                 "n_earned": Coalesce(Sum("points", filter=delivered_q()), 0)}


def _points(row: dict[str, Any]) -> dict[str, Any]:
    return {"orders": row["n_orders"], "points": row["n_points"], "earned": row["n_earned"]}


def points_totals(period: Period) -> dict[str, Any]:
    """points: Σ Order.points of the period's orders (promised); earned: of the delivered ones (credited to
    the customer on delivery, taken back on return)."""
    return _points(period_orders(period).aggregate(**POINT_FIGURES))


def points_by_bucket(period: Period) -> dict[datetime.datetime, dict[str, Any]]:
    annotations = bucket_annotations("created_at", period.grain, period)
    rows = period_orders(period).annotate(**annotations).order_by().values(*annotations).annotate(**POINT_FIGURES)
    return {bucket_start(row, period.grain): _points(row) for row in rows}


# ---------------------------------------------------------------- complaints (售后服务)

def complaints_by_category(period: Period) -> dict[str, dict[str, int]]:
    """Complaints opened in the period per category: total, and per status now (open, in_progress, closed)."""
    found: dict[str, dict[str, int]] = defaultdict(lambda: {"total": 0, "open": 0, "in_progress": 0, "closed": 0})
    rows = (Complaint.objects.filter(created_at__gte=period.start, created_at__lt=period.end).order_by()
            .values("category", "status").annotate(n=Count("pk")))
    for row in rows:
        found[row["category"]][row["status"]] += row["n"]
        found[row["category"]]["total"] += row["n"]
    return dict(found)


def complaint_totals(period: Period) -> dict[str, Any]:
    totals: dict[str, Any] = {"total": 0, "open": 0, "in_progress": 0, "closed": 0}
    for figures in complaints_by_category(period).values():
        for key in totals:
            totals[key] += figures[key]
    totals["closed_share"] = share(totals["closed"], totals["total"])
    return totals


# ---------------------------------------------------------------- logistics (物流配送)

@dataclass
class ParcelFigures:
    """Parcels shipped in the period; of those whose outcome came in the period, delivered and refused;
    the delivery time of the delivered ones."""

    shipped: int = 0
    delivered: int = 0
    refused: int = 0
    delivery_seconds: int = 0

    @property
    def refusal_rate(self) -> Fraction | None:
        """refused ÷ (delivered + refused)."""
        return share(self.refused, self.delivered + self.refused)

    @property
    def delivery_days(self) -> Fraction | None:
        """Mean of (delivered at − shipped at) in days over the parcels delivered in the period."""
        return Fraction(self.delivery_seconds, self.delivered * DAY_SECONDS) if self.delivered else None

    def as_dict(self) -> dict[str, Any]:
        return {"shipped": self.shipped, "delivered": self.delivered, "refused": self.refused,
                "refusal_rate": self.refusal_rate, "delivery_days": self.delivery_days}


def _seconds(value: Any) -> int:
    """A summed duration as whole seconds (a timedelta; SQLite may answer microseconds)."""
    if value is None:
        return 0
    if isinstance(value, datetime.timedelta):
        return round(value.total_seconds())
    return round(int(value) / 1_000_000)


def parcels_by(period: Period, key: str | None) -> dict[Any, ParcelFigures]:
    """{courier id / province / None: ParcelFigures}. shipped: `shipped_at` in the period; delivered:
    `delivered_at` in the period; refused: `refused_at` in the period and never delivered."""
    inside = {"gte": period.start, "lt": period.end}
    shipped = Q(shipped_at__gte=inside["gte"], shipped_at__lt=inside["lt"])
    delivered = Q(delivered_at__gte=inside["gte"], delivered_at__lt=inside["lt"])
    refused = Q(refused_at__gte=inside["gte"], refused_at__lt=inside["lt"], delivered_at__isnull=True)
    parcels = Shipment.objects.filter(shipped | delivered | refused)
    took = ExpressionWrapper(F("delivered_at") - F("shipped_at"), output_field=DurationField())
    figures = {"n_shipped": Count("pk", filter=shipped),
               "n_delivered": Count("pk", filter=delivered & Q(shipped_at__isnull=False)),
               "n_refused": Count("pk", filter=refused),
               "took": Sum(took, filter=delivered & Q(shipped_at__isnull=False))}
    # one total row, or a row per key (values() without a field would group by every column)
    rows = [parcels.aggregate(**figures)] if key is None else list(parcels.order_by().values(key).annotate(**figures))
    return {row[key] if key else None: ParcelFigures(row["n_shipped"], row["n_delivered"], row["n_refused"],
                                                     _seconds(row["took"])) for row in rows}


def logistics_totals(period: Period) -> dict[str, Any]:
    return parcels_by(period, None).get(None, ParcelFigures()).as_dict()


# ---------------------------------------------------------------- finance (财务结算)

def _recorded(model: Any, period: Period) -> QuerySet[Any]:
    return model.objects.filter(recorded_at__gte=period.start, recorded_at__lt=period.end)


def remitted_by_courier(period: Period) -> dict[int, dict[str, Any]]:
    """The daily close's `remitted` rows (payments from couriers' statement lines) recorded in the period,
    per courier: count, amount (collected), fee, net (amount − fee) — the sum of the close's days."""
    rows = (_recorded(Payment, period).filter(remittance_line__isnull=False).order_by()
            .values("remittance_line__statement__courier_id")
            .annotate(n=Count("pk"), amount=money_sum("amount"), fee=money_sum("remittance_line__fee")))
    return {row["remittance_line__statement__courier_id"]: {
        "count": row["n"], "amount": yuan(row["amount"]), "fee": yuan(row["fee"]),
        "net": yuan(row["amount"]) - yuan(row["fee"])} for row in rows}


def outstanding_by_courier(period: Period) -> dict[int, dict[str, Any]]:
    """The receivables at the end of the period's last day: finance's `close.outstanding_parcels`."""
    rows = (close.outstanding_parcels(period.last).order_by().values("courier_id")
            .annotate(n=Count("pk"), total=Sum("amount", output_field=AMOUNT)))
    return {row["courier_id"]: {"count": row["n"], "amount": yuan(row["total"] or ZERO)} for row in rows}


def finance_totals(period: Period) -> dict[str, Any]:
    """remitted (count, amount, fee, net); other payments, refunds (corrections are negative rows);
    settlements (net of settle and reverse entries); outstanding at the end of the period."""
    remitted = remitted_by_courier(period).values()
    other = _recorded(Payment, period).filter(remittance_line__isnull=True).aggregate(n=Count("pk"),
                                                                                       s=money_sum("amount"))
    refunds = _recorded(Refund, period).aggregate(n=Count("pk"), s=money_sum("amount"))
    settled = _recorded(SettlementEntry, period).aggregate(
        s=money_sum("amount"), settle=money_sum("amount", Q(kind=SettlementKind.SETTLE)),
        reverse=money_sum("amount", Q(kind=SettlementKind.REVERSE)))
    outstanding = outstanding_by_courier(period).values()
    return {
        "remitted_count": sum(r["count"] for r in remitted),
        "remitted": sum((r["amount"] for r in remitted), ZERO), "fee": sum((r["fee"] for r in remitted), ZERO),
        "net": sum((r["net"] for r in remitted), ZERO),
        "other_payments": yuan(other["s"]), "refunds": yuan(refunds["s"]),
        "settled": yuan(settled["settle"]), "reversed": yuan(settled["reverse"]), "settlements": yuan(settled["s"]),
        "outstanding_count": sum(r["count"] for r in outstanding),
        "outstanding": sum((r["amount"] for r in outstanding), ZERO),
    }


# ---------------------------------------------------------------- callers (来电分析)

PREFIX = 7  # a mobile's region and carrier are those of its first 7 digits (the `phone` table's key)
# Measured (this machine): a look-up costs ~0.17 ms once phonenumbers' data is loaded and ~1 ms before (its
# per-prefix tables load lazily), so 5,000 prefixes cost ~0.9 s warm and ~5 s cold at worst. The most
# called prefixes are looked up first; the rest count as unknown and the table's note says how many.
MAX_PREFIXES = 5_000
_PREFIX_INFO: dict[str, PhoneInfo] = {}  # per process: a prefix's region and carrier do not change
_PREFIX_CACHE_SIZE = 500_000


def inbound_calls(period: Period) -> QuerySet[CallFact]:
    """Inbound calls that arrived in the period from a known number."""
    return CallFact.objects.filter(direction=Direction.INBOUND, arrived_at__gte=period.start,
                                   arrived_at__lt=period.end).exclude(caller="")


@dataclass
class CallerFigures:
    calls: int = 0
    callers: int = 0

    def add(self, calls: int, callers: int) -> None:
        self.calls += calls
        self.callers += callers


@dataclass
class CallerReport:
    """Calls and distinct callers per region, carrier, gender and new/returning; `lookups` prefixes were
    looked up in `lookup_ms`; `skipped` prefixes were over the bound (their calls are under "")."""

    regions: dict[str, CallerFigures] = field(default_factory=lambda: defaultdict(CallerFigures))
    carriers: dict[str, CallerFigures] = field(default_factory=lambda: defaultdict(CallerFigures))
    genders: dict[str, CallerFigures] = field(default_factory=lambda: defaultdict(CallerFigures))
    kinds: dict[str, CallerFigures] = field(default_factory=lambda: defaultdict(CallerFigures))
    lookups: int = 0
    lookup_ms: int = 0
    skipped: int = 0


def number_info(number: str) -> PhoneInfo:
    """The region and carrier of a caller's number; nothing known for what is not a phone number."""
    try:
        return phone_info(number)
    except NumberParseException:
        return PhoneInfo(number, "")


def prefix_info(prefix: str, sample: str) -> PhoneInfo:
    """The region and carrier of the numbers starting with `prefix` (looked up on `sample`, one of them),
    remembered for the process."""
    found = _PREFIX_INFO.get(prefix)
    if found is None:
        if len(_PREFIX_INFO) >= _PREFIX_CACHE_SIZE:
            _PREFIX_INFO.clear()
        found = _PREFIX_INFO[prefix] = number_info(sample)
    return found


def _by_prefix(report: CallerReport, calls: QuerySet[CallFact]) -> None:
    """Region and carrier: the number's, looked up offline once per distinct 7-digit prefix (a number is in
    exactly one prefix, so the distinct callers of the prefixes add up)."""
    rows = (calls.annotate(prefix=Substr("caller", 1, PREFIX)).order_by().values("prefix")
            .annotate(n=Count("pk"), callers=Count("caller", distinct=True), sample=Min("caller"))
            .order_by("-n", "prefix"))
    started = time.perf_counter()
    for index, row in enumerate(rows):
        if index >= MAX_PREFIXES:
            report.skipped += 1
            report.regions[""].add(row["n"], row["callers"])
            report.carriers[""].add(row["n"], row["callers"])
            continue
        info = prefix_info(row["prefix"], row["sample"])
        report.lookups += 1
        report.regions[info.province].add(row["n"], row["callers"])
        report.carriers[info.carrier].add(row["n"], row["callers"])
    report.lookup_ms = round((time.perf_counter() - started) * 1000)


def _by_gender(report: CallerReport, calls: QuerySet[CallFact]) -> None:
    """Gender: of the customer with the caller's number (the first such customer; "" when none)."""
    gender = CustomerPhone.objects.filter(number=OuterRef("caller")).order_by("customer_id").values(
        "customer__gender")[:1]
    rows = calls.annotate(gender=Subquery(gender)).order_by().values("gender")
    for row in rows.annotate(n=Count("pk"), callers=Count("caller", distinct=True)):
        report.genders[row["gender"] or ""].add(row["n"], row["callers"])


def _new_or_returning(report: CallerReport, calls: QuerySet[CallFact], period: Period) -> None:
    """A caller is returning when the number called before the period (a call fact) or a customer with the
    number ordered before it; new otherwise."""
    earlier_call = CallFact.objects.filter(caller=OuterRef("caller"), arrived_at__lt=period.start)
    customers = CustomerPhone.objects.filter(number=OuterRef(OuterRef("caller"))).values("customer_id")
    earlier_order = Order.objects.filter(customer_id__in=Subquery(customers), created_at__lt=period.start)
    rows = (calls.order_by().values("caller").annotate(n=Count("pk"))
            .annotate(returning=Exists(earlier_call) | Exists(earlier_order)))
    for row in rows:
        report.kinds["returning" if row["returning"] else "new"].add(row["n"], 1)


def caller_report(period: Period) -> CallerReport:
    calls = inbound_calls(period)
    report = CallerReport()
    _by_prefix(report, calls)
    _by_gender(report, calls)
    _new_or_returning(report, calls, period)
    return report


def caller_totals(period: Period) -> dict[str, Any]:
    calls = inbound_calls(period)
    counted = calls.aggregate(n=Count("pk"), callers=Count("caller", distinct=True))
    kinds = CallerReport()
    _new_or_returning(kinds, calls, period)
    return {"calls": counted["n"], "callers": counted["callers"], "new": kinds.kinds["new"].callers,
            "returning": kinds.kinds["returning"].callers}


def added(rows: Iterable[dict[str, Any]], keys: Iterable[str]) -> dict[str, Any]:
    """The total row of `rows` over `keys` (numbers and Decimals add up)."""
    rows = list(rows)
    return {key: sum((row[key] for row in rows), Decimal(0) if rows and isinstance(rows[0][key], Decimal) else 0)
            for key in keys}
