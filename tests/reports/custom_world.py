"""A small world for the custom-report tests: call facts, queue-visit facts and orders on one day, with
values chosen so every measure has an exact, hand-computed answer (tests/reports/test_custom_catalogue.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from hotline.orders.models import Order, OrderLine
from hotline.reports.models import CallFact, VisitFact
from tests import factories

TZ = ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2026, 11, 24)


def at(hour: int, minute: int, day: datetime.date = DAY) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def build_world() -> SimpleNamespace:
    s1, s2 = factories.make_station("hunan", "湖南卫视"), factories.make_station("zhejiang", "浙江卫视")
    h1, h2 = factories.make_hotline("4008001000", s1), factories.make_hotline("4008002000", s2)
    airing = factories.make_airing(s1, at(8, 0))
    w = SimpleNamespace(s1=s1, s2=s2, h1=h1, h2=h2, airing=airing)
    _calls(w)
    _visits(w)
    _orders(w)
    return w


def _calls(w: SimpleNamespace) -> None:
    rows = [
        # call, arrived, station, airing, number, outcome, queue, agent, wait ms, talk ms, direction
        ("c1", at(8, 10), w.s1, w.airing, w.h1, "answered", "sales", "a1", 10_000, 60_000, "inbound"),
        ("c2", at(8, 40), w.s1, w.airing, w.h1, "abandoned_in_queue", "sales", "", 30_000, None, "inbound"),
        ("c3", at(9, 5), w.s2, None, w.h2, "short_abandon", "sales", "", 2_000, None, "inbound"),
        ("c4", at(9, 30), w.s2, None, w.h2, "abandoned_in_ivr", "", "", None, None, "inbound"),
        ("c5", at(10, 0), w.s1, None, w.h1, "refused_503", "", "", None, None, "inbound"),
        ("c6", at(10, 15), w.s2, None, w.h2, "callback", "sales", "", 45_000, None, "inbound"),
        ("c7", at(10, 20), None, None, None, "answered", "service", "a2", 5_000, 90_500, "outbound"),
        ("c8", at(0, 30, DAY + datetime.timedelta(days=1)), w.s1, None, w.h1, "answered", "sales", "a1", 1_000,
         1_000, "inbound"),
    ]
    CallFact.objects.bulk_create([
        CallFact(call_id=call, arrived_at=arrived, station=station, airing=airing, hotline_number=number,
                 outcome=outcome, queue=queue, agent_key=agent, wait_ms=wait, talk_ms=talk, direction=direction)
        for call, arrived, station, airing, number, outcome, queue, agent, wait, talk, direction in rows])


def _visits(w: SimpleNamespace) -> None:
    rows = [
        # call, queue, entered, result, wait ms, within, short, agent
        ("c1", "sales", at(8, 10), "answered", 10_000, True, False, "a1"),
        ("c2", "sales", at(8, 40), "abandoned", 30_000, False, False, ""),
        ("c3", "sales", at(9, 5), "abandoned", 2_000, True, True, ""),
        ("c6", "sales", at(10, 15), "callback", 45_000, False, False, ""),
        ("c7", "service", at(10, 20), "answered", 5_000, True, False, "a2"),
        ("c9", "service", at(10, 30), "answered", 25_000, False, False, "a2"),
    ]
    VisitFact.objects.bulk_create([
        VisitFact(call_id=call, queue=queue, entered_at=entered, result=result, wait_ms=wait, within=within,
                  short=short, agent_key=agent)
        for call, queue, entered, result, wait, within, short, agent in rows])


def _orders(w: SimpleNamespace) -> None:
    customer = factories.make_customer()
    agent = factories.make_user("agent", username="t_agent")
    neck = factories.make_product("颈椎按摩仪", "398.00")
    pillow = factories.make_product("按摩靠枕", "59.00")
    knee = factories.make_product("护膝", "99.00")
    w.neck, w.pillow, w.knee, w.agent = neck, pillow, knee, agent
    specs = [
        # number, status, payment, province, airing, number, agent, total, lines (product, qty, total, gift)
        ("HL1", "ordered", "cod", "广东", w.airing, None, agent, "796.00",
         [(neck, 2, "796.00", False), (pillow, 1, "0.00", True)]),
        ("HL2", "delivered", "transfer", "湖南", None, w.h2, agent, "99.00", [(knee, 1, "99.00", False)]),
        ("HL3", "cancelled", "cod", "广东", None, None, None, "398.00", [(neck, 1, "398.00", False)]),
    ]
    for number, status, payment, province, airing, hotline, taker, total, lines in specs:
        order = Order.objects.create(number=number, status=status, customer=customer, recipient="王小明",
                                     recipient_phone="13800138000", province=province, payment_method=payment,
                                     airing=airing, hotline_number=hotline, agent=taker, total=Decimal(total),
                                     subtotal=Decimal(total))
        for product, quantity, line_total, gift in lines:
            OrderLine.objects.create(order=order, product=product, quantity=quantity, unit_price=product.price,
                                     line_total=Decimal(line_total), is_gift=gift)
        Order.objects.filter(pk=order.pk).update(created_at=at(11, 0))
    # an order of the next day: outside a one-day period
    late = Order.objects.create(number="HL4", customer=customer, recipient="王小明", recipient_phone="13800138000",
                                total=Decimal("1.00"))
    Order.objects.filter(pk=late.pk).update(created_at=at(0, 10, DAY + datetime.timedelta(days=1)))
