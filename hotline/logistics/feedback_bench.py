"""The feedback-import benchmark: `n` shipped parcels, a courier's CSV file with one row for each (delivered,
refused, held, returning — as a day's EMS feedback looks), then the dry run and the apply, timed, with the
process's peak memory. For `hotline bench logistics` and docs/benchmarks.md; run it on a scratch database."""

from __future__ import annotations

import io
import resource
import time
from decimal import Decimal
from typing import Any

from hotline.crm.models import Customer, CustomerPhone
from hotline.logistics.feedback import apply_feedback_file, check_feedback_file
from hotline.logistics.models import Courier, CourierKind, Shipment, ShipmentStatus
from hotline.orders.models import Order, Status

STATUSES = ("妥投", "妥投", "妥投", "拒收", "滞留", "退回", "妥投")  # about 15 % refused or sent back


def build_parcels(n: int, courier_code: str = "bench-ems") -> Courier:
    """`n` customers, each with a shipped COD order and its parcel on the way (bulk inserts)."""
    courier, _created = Courier.objects.get_or_create(code=courier_code, defaults={
        "name": f"EMS {courier_code}", "kind": CourierKind.EMS})
    step = 5000
    for start in range(0, n, step):
        count = min(step, n - start)
        customers = Customer.objects.bulk_create([Customer(name=f"客户{start + i}", gender="f") for i in range(count)])
        CustomerPhone.objects.bulk_create([CustomerPhone(customer=c, number=f"139{start + i:08d}", is_primary=True)
                                           for i, c in enumerate(customers)])
        orders = Order.objects.bulk_create([Order(
            number=f"B{courier_code[:4].upper()}{start + i:09d}", status=Status.SHIPPED, customer=c,
            recipient=c.name, recipient_phone="13900000000", total=Decimal("398.00"), points=10)
            for i, c in enumerate(customers)])
        Shipment.objects.bulk_create([Shipment(order=o, courier=courier, tracking_number=tracking(start + i),
                                               status=ShipmentStatus.SHIPPED) for i, o in enumerate(orders)])
    return courier


def _cpu() -> float:
    """CPU seconds of this process (SQLite works in it): a figure a busy machine changes less than the clock."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def tracking(i: int) -> str:
    return f"E{i:011d}CN"


def feedback_csv(n: int) -> bytes:
    """The courier's file: header, then one row a parcel, in GBK as Chinese couriers send it."""
    lines = ["邮件号,状态,时间,备注"]
    for i in range(n):
        status = STATUSES[i % len(STATUSES)]
        lines.append(f"{tracking(i)},{status},2026-12-01 {8 + i % 10:02d}:{i % 60:02d}:00,"
                     f"{'客户不要了' if status == '拒收' else ''}")
    return ("\r\n".join(lines) + "\r\n").encode("gb18030")


def run(n: int, *, actor: Any = None) -> dict[str, Any]:
    """Build, dry-run and apply; returns seconds, rows per second and peak memory (MB)."""
    courier = build_parcels(n)
    data = feedback_csv(n)
    built_rss = _peak_mb()
    started, cpu_started = time.perf_counter(), _cpu()
    dry = check_feedback_file(io.BytesIO(data), courier)
    checked, dry_cpu = time.perf_counter(), _cpu() - cpu_started
    marks: list[float] = []
    cpu = _cpu()
    applied = apply_feedback_file(io.BytesIO(data), courier, actor=actor,
                                  before_commit=lambda _result: marks.extend([time.perf_counter(), _cpu()]))
    done = time.perf_counter()
    # after the commit, the outbox hands each customer's message to its gateway (notify.deliver)
    return {"rows": n, "file_mb": round(len(data) / 1e6, 1), "dry_run_s": round(checked - started, 1),
            "dry_run_cpu_s": round(dry_cpu, 1),
            "apply_s": round(marks[0] - checked, 1), "apply_rows_per_s": round(n / (marks[0] - checked)),
            "apply_cpu_s": round(marks[1] - cpu, 1), "messages_delivered_s": round(done - marks[0], 1),
            "dry_run_rows_per_s": round(n / (checked - started)), "applied": applied.applied,
            "counts": dict(applied.counts), "problems": dry.blocking,
            "peak_rss_mb_before": built_rss, "peak_rss_mb": _peak_mb()}


def _peak_mb() -> int:
    """The process's peak resident memory so far, in MB (Linux counts ru_maxrss in KB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
