"""The finance tests' world: the logistics world (couriers EMS, ZTO, SF with their COD terms; see
tests/logistics/world.py for the prices) plus a finance clerk, and parcels taken to delivered or refused
through the real actions, so that every Shipment carries the freight, COD due and COD fee review worked out.

For 2 massagers (¥796, COD) to 深圳: EMS freight ¥21, COD fee ¥11.94 (1.5 %); ZTO ¥16 and ¥7.96 (1 %)."""

from __future__ import annotations

import datetime
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connections
from django.utils import translation

from hotline.accounts.models import User
from hotline.logistics.actions.events import do_record_shipment_event
from hotline.logistics.actions.review import do_change_courier
from hotline.logistics.models import Courier, EventKind, EventSource, Shipment
from hotline.orders.models import Order
from tests import factories
from tests.logistics.world import T0, World, build_world

D = Decimal
WAIT = 60.0  # seconds a thread waits for the other before the test fails (never reached when it works)
_seq = itertools.count(1)


@dataclass
class FinanceWorld:
    """A logistics world with a finance clerk and a manager."""

    w: World
    finance: User
    manager: User

    def shipped(self, courier: Courier | None = None, *lines: Any, **fields: Any) -> Shipment:
        """An order placed, reviewed (moved to `courier` when given) and shipped with a new tracking number."""
        w = self.w
        if courier is not None:  # an express company carries "courier" orders, EMS carries "ems" ones
            fields.setdefault("delivery_method", "courier" if courier.kind == "express" else "ems")
        order = w.place(*lines, **fields)
        parcel = w.review(order)
        if courier is not None and parcel.courier_id != courier.pk:
            do_change_courier(parcel, courier, reason="test", actor=w.clerk)
        tracking = f"{(courier or parcel.courier).code.upper()}{next(_seq):09d}"
        return w.ship(Order.objects.get(pk=order.pk), tracking)

    def delivered(self, courier: Courier | None = None, *lines: Any,
                  at: datetime.datetime | None = None, **fields: Any) -> Shipment:
        """A parcel delivered (the courier's feedback recorded through the action) at `at` (default T0)."""
        parcel = self.shipped(courier, *lines, **fields)
        do_record_shipment_event(parcel, EventKind.DELIVERED, at or T0, source=EventSource.MANUAL,
                                 actor=self.w.clerk)
        return Shipment.objects.select_related("order").get(pk=parcel.pk)

    def refused(self, courier: Courier | None = None, *lines: Any,
                at: datetime.datetime | None = None, **fields: Any) -> Shipment:
        parcel = self.shipped(courier, *lines, **fields)
        do_record_shipment_event(parcel, EventKind.REFUSED, at or T0, source=EventSource.MANUAL,
                                 actor=self.w.clerk, detail="不要了")
        return Shipment.objects.select_related("order").get(pk=parcel.pk)


def build_finance_world() -> FinanceWorld:
    w = build_world()
    for product in (w.massager, w.kneepad):  # enough stock for hundreds of orders
        type(product).objects.filter(pk=product.pk).update(stock=100_000)
    return FinanceWorld(w=w, finance=factories.make_user("finance", "cashier"),
                        manager=factories.make_user("manager", "boss"))


def in_two_threads(work: Callable[[int], Any]) -> list[Any]:
    """Run `work(0)` and `work(1)` released together (two clerks at once), each on its own connection;
    what each returned or raised, in thread order."""
    start = threading.Barrier(2)
    outcomes: list[Any] = [None, None]

    def run(index: int) -> None:
        try:
            start.wait(timeout=WAIT)
            with translation.override("en"):
                outcomes[index] = work(index)
        except BaseException as exc:  # kept for the assertions, not lost in the thread
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT * 2)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes
