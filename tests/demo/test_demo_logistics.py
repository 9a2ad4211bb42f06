"""Demo logistics: couriers and their terms, products' shipping facts, parcels that follow the orders'
histories, the known refusal model, and the stock ledger's invariant."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.db.models import Sum

from hotline.catalog.models import Product
from hotline.demo.logistics import EMS_FEEDBACK, LONG_PROVINCE, PROVINCE_ZONES
from hotline.demo.refusals import CITY_RATES, RefusalFeatures, refusal_probability
from hotline.demo.shipments import s10_check_digit
from hotline.lib.money import yuan
from hotline.logistics.models import (
    Courier,
    Coverage,
    EventKind,
    FeeRate,
    FormKind,
    FormTemplate,
    MovementKind,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
    StockMovement,
)
from hotline.logistics.printing.defaults import default_form_templates
from hotline.orders.models import DeliveryMethod, Order, OrderLine, PaymentMethod, Status

TRACKING = {"ems": r"E[A-Z]\d{9}CN", "post": r"98\d{11}", "sf": r"\d{12}", "yto": r"YT\d{13}", "suda": r"SD\d{10}",
            "fleet": r"ZY\d{8}"}  # fmt: skip
FINAL_EVENT = {ShipmentStatus.SHIPPED: EventKind.PICKED_UP, ShipmentStatus.IN_TRANSIT: EventKind.IN_TRANSIT,
               ShipmentStatus.OUT_FOR_DELIVERY: EventKind.OUT_FOR_DELIVERY,
               ShipmentStatus.DELIVERED: EventKind.DELIVERED, ShipmentStatus.REFUSED: EventKind.REFUSED,
               ShipmentStatus.RETURNING: EventKind.RETURNING, ShipmentStatus.RETURNED: EventKind.RETURNED}  # fmt: skip


def _history(order: Order) -> dict[str, object]:
    return {change.to_status: change for change in order.history.all()}


def test_stock_on_hand_is_the_ledger_and_product_stock_is_what_open_orders_leave(demo):
    held: Counter[int] = Counter()
    for line in OrderLine.objects.filter(order__status__in=[Status.ORDERED, Status.REVIEWED]):
        held[line.product_id] += line.quantity
    tracked = Product.objects.filter(track_stock=True)

    assert tracked.count() == 6
    for product in tracked:
        on_hand = StockMovement.objects.filter(product=product).aggregate(total=Sum("quantity"))["total"]
        assert on_hand == product.stock + held[product.pk], product.short_code
        received = StockMovement.objects.get(product=product, kind=MovementKind.RECEIVED)
        assert received.at < Order.objects.earliest("created_at").created_at
    assert not StockMovement.objects.exclude(product__track_stock=True).exists()


def test_every_order_that_left_the_warehouse_took_its_tracked_units_off_the_shelf(demo):
    for order in Order.objects.prefetch_related("lines__product", "history"):
        left = Status.SHIPPED in _history(order)
        expected = Counter()
        for line in order.lines.all():
            if line.product.track_stock and left:
                expected[line.product_id] -= line.quantity
        moved = Counter(dict(StockMovement.objects.filter(order=order).values_list("product_id", "quantity")))
        assert moved == expected, order.number
        for movement in StockMovement.objects.filter(order=order):
            assert (movement.kind, movement.at) == (MovementKind.SHIPPED, _history(order)[Status.SHIPPED].at)


def test_one_parcel_per_order_that_left_or_waits_to_ship_except_self_pickups(demo):
    for order in Order.objects.prefetch_related("history", "shipments"):
        carried = order.delivery_method != DeliveryMethod.PICKUP
        left = Status.SHIPPED in _history(order) and carried
        waiting = order.status == Status.REVIEWED and carried
        assert order.shipments.count() == (1 if left or waiting else 0), order.number
        if waiting:  # reviewed: on the shelf, courier chosen, no tracking number yet
            assert order.shipments.get().status == ShipmentStatus.PENDING
            assert order.shipments.get().tracking_number is None
    assert Shipment.objects.count() > 100
    assert Shipment.objects.filter(status=ShipmentStatus.PENDING).exists()


def test_parcel_times_and_status_follow_the_order_history(demo):
    left = Shipment.objects.exclude(status=ShipmentStatus.PENDING)
    for shipment in left.select_related("order").prefetch_related("order__history"):
        steps = _history(shipment.order)
        refused = steps.get(Status.REFUSED)
        assert shipment.created_at == steps[Status.REVIEWED].at
        assert shipment.shipped_at == steps[Status.SHIPPED].at
        assert shipment.delivered_at == (steps[Status.DELIVERED].at if Status.DELIVERED in steps else None)
        assert shipment.refused_at == (refused.at if refused else None)
        assert shipment.returned_at == (steps[Status.RETURNED].at if refused and Status.RETURNED in steps else None)
        assert shipment.refusal_reason == (refused.reason if refused else "")
        if refused:
            assert shipment.status in (ShipmentStatus.REFUSED, ShipmentStatus.RETURNING, ShipmentStatus.RETURNED)
        elif Status.DELIVERED in steps:
            assert shipment.status == ShipmentStatus.DELIVERED
        else:
            assert shipment.status in (ShipmentStatus.SHIPPED, ShipmentStatus.IN_TRANSIT,
                                       ShipmentStatus.OUT_FOR_DELIVERY)


def test_events_run_in_time_order_from_pickup_to_the_parcel_s_status(demo):
    events = defaultdict(list)
    for event in ShipmentEvent.objects.order_by("at", "id"):
        events[event.shipment_id].append(event)
    assert not ShipmentEvent.objects.filter(shipment__status=ShipmentStatus.PENDING).exists()
    for shipment in Shipment.objects.exclude(status=ShipmentStatus.PENDING):
        timeline = events[shipment.pk]
        kinds = [event.kind for event in timeline]
        assert (kinds[0], timeline[0].at) == (EventKind.PICKED_UP, shipment.shipped_at)
        assert kinds[-1] == FINAL_EVENT[shipment.status], shipment.tracking_number
        assert len(set(kinds)) == len(kinds)
        assert shipment.last_event_at == timeline[-1].at
        if shipment.refused_at:
            assert next(e.at for e in timeline if e.kind == EventKind.REFUSED) == shipment.refused_at


def test_money_on_the_parcel_comes_from_the_order_and_the_courier_s_terms(demo):
    for shipment in Shipment.objects.select_related("order", "courier"):
        order, courier = shipment.order, shipment.courier
        rate = FeeRate.objects.get(courier=courier, zone=shipment.zone)
        steps = max(Decimal(0), (shipment.weight_kg - rate.first_weight_kg) / rate.step_kg).to_integral_value(
            rounding="ROUND_CEILING")
        assert shipment.freight == rate.first_fee + steps * rate.step_fee
        if order.payment_method == PaymentMethod.COD:
            assert shipment.cod_due == order.total
            fee = max(yuan(order.total * courier.cod_fee_percent / 100), courier.cod_fee_min)
            assert shipment.cod_fee == fee
            assert courier.cod_max is None or order.total <= courier.cod_max
        else:
            assert (shipment.cod_due, shipment.cod_fee) == (Decimal(0), Decimal(0))
        if shipment.refused_at:
            assert shipment.return_freight == shipment.freight


def test_the_courier_covers_the_address_and_collects_cash_there(demo):
    for shipment in Shipment.objects.select_related("order", "courier"):
        order = shipment.order
        rows = [row for row in Coverage.objects.filter(courier=shipment.courier)
                if row.province == LONG_PROVINCE[order.province] and row.city in ("", f"{order.city}市")
                and row.district in ("", order.district)]
        row = max(rows, key=lambda row: (bool(row.district), bool(row.city)))
        assert (row.zone, row.delivery_days) == (shipment.zone, shipment.delivery_days)
        if order.payment_method == PaymentMethod.COD:
            assert row.cod_allowed, shipment.tracking_number


def test_tracking_numbers_are_unique_and_in_each_courier_s_format(demo):
    numbers = list(Shipment.objects.exclude(status=ShipmentStatus.PENDING).values_list("courier__code",
                                                                                       "tracking_number"))

    assert len({number for _code, number in numbers}) == len(numbers)
    for code, number in numbers:
        assert re.fullmatch(TRACKING[code], number), number
        if code == "ems":
            assert int(number[10]) == s10_check_digit(int(number[2:10]))
    assert s10_check_digit(12345678) == 5  # EA123456785CN, the UPU's example


def test_only_cash_on_delivery_parcels_are_refused_and_about_one_in_five_is(demo):
    prepaid = Shipment.objects.exclude(order__payment_method=PaymentMethod.COD)
    at_door = Shipment.objects.filter(order__payment_method=PaymentMethod.COD).exclude(
        delivered_at__isnull=True, refused_at__isnull=True)
    refused = at_door.filter(refused_at__isnull=False).count()

    assert not prepaid.filter(refused_at__isnull=False).exists()
    assert not Order.objects.filter(status=Status.REFUSED).exclude(payment_method=PaymentMethod.COD).exists()
    assert 0.10 <= refused / at_door.count() <= 0.35


def test_couriers_keys_forms_of_feedback_and_prices(demo):
    couriers = {courier.code: courier for courier in Courier.objects.all()}

    assert sorted(couriers) == ["ems", "fleet", "post", "sf", "suda", "yto"]
    assert {code for code, courier in couriers.items() if courier.api_key} == {"ems", "suda"}
    assert all(len(couriers[code].api_secret) >= 40 for code in ("ems", "suda"))
    assert couriers["ems"].feedback_columns == EMS_FEEDBACK
    forms = {code: courier.form_template.kind for code, courier in couriers.items()}
    assert forms == {"ems": FormKind.EMS, "post": FormKind.POST, "sf": FormKind.LABEL_100x150,
                     "yto": FormKind.LABEL_100x150, "suda": FormKind.DELIVERY_NOTE, "fleet": FormKind.DELIVERY_NOTE}
    assert FormTemplate.objects.count() == len(default_form_templates())
    for code in ("ems", "suda"):
        columns = couriers[code].feedback_columns
        assert {"tracking_number", "status", "at", "reason", "statuses"} <= set(columns)
        assert set(columns["statuses"].values()) <= set(EventKind.values)
    assert (couriers["ems"].cod_max, couriers["ems"].cod_fee_percent, couriers["ems"].cod_fee_min) == (
        Decimal("5000.00"), Decimal("1.00"), Decimal("3.00"))
    for code in ("ems", "post"):
        provinces = set(Coverage.objects.filter(courier=couriers[code], city="").values_list("province", flat=True))
        assert provinces == {LONG_PROVINCE[short] for short in PROVINCE_ZONES}
    for rate in FeeRate.objects.all():
        assert Decimal(8) <= rate.first_fee <= Decimal(22) and Decimal(1) <= rate.step_fee <= Decimal(8)


def test_products_have_shipping_facts(demo):
    for product in Product.objects.all():
        assert product.weight_kg > 0 and product.volume_cm3 > 0 and product.location, product.short_code
        assert (product.low_stock > 0) == product.track_stock
    chair, cream = Product.objects.get(short_code="105"), Product.objects.get(short_code="134")
    assert chair.weight_kg > 50 and cream.weight_kg < 1
    assert chair.stock <= chair.low_stock  # the demo shows a low-stock warning


REFERENCE = RefusalFeatures(city="北京", previous_refusals=0, previous_deliveries=0, new_customer=False,
                            total=Decimal("1000"), local_hour=14)


def test_the_refusal_model_at_its_reference_point_is_the_city_s_base_rate():
    assert refusal_probability(REFERENCE) == pytest.approx(CITY_RATES["北京"] / 100)
    assert refusal_probability(RefusalFeatures(**{**REFERENCE.__dict__, "city": "西宁"})) == pytest.approx(0.30)


@pytest.mark.parametrize(("change", "more_likely"), [
    ({"previous_refusals": 1}, True), ({"previous_deliveries": 2}, False), ({"new_customer": True}, True),
    ({"total": Decimal("3200")}, True), ({"total": Decimal("99")}, False), ({"local_hour": 23}, True),
    ({"local_hour": 3}, True),
])
def test_each_feature_moves_the_refusal_probability_the_documented_way(change, more_likely):
    changed = refusal_probability(RefusalFeatures(**{**REFERENCE.__dict__, **change}))

    assert (changed > refusal_probability(REFERENCE)) is more_likely


def test_a_customer_who_refused_twice_refuses_most_of_the_time():
    features = RefusalFeatures(**{**REFERENCE.__dict__, "previous_refusals": 2, "city": "郑州"})

    assert refusal_probability(features) == pytest.approx(1 / (1 + (0.82 / 0.18) * 2.718281828 ** -3.0), abs=1e-6)
    assert refusal_probability(features) > 0.75
