"""`hotline loaddemo`: the command, its refusals, logins, determinism, and life after the load."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from hotline.accounts.models import AuditEntry, User
from hotline.accounts.permissions import Role
from hotline.calls.models import Queue, Seat
from hotline.calls.seats import digest_ha1
from hotline.catalog.models import Product
from hotline.crm.models import Customer
from hotline.demo.call_center import DEMO_SIP_PASSWORD
from hotline.demo.data import DEMO_PASSWORD, DEMO_USERS
from hotline.demo.loader import DATASET_VERSION, DemoOptions, erase_all_data, latest_load, load_demo
from hotline.demo.orders import HISTORY_AGE
from hotline.logistics.models import Shipment
from hotline.media.models import Airing, HotlineNumber, Station
from hotline.orders.actions import LineInput, OrderInput, do_create_order
from hotline.orders.models import Order, OrderLine, OrderStatusChange
from tests import factories
from tests.demo.conftest import NOW, SMALL


def _fingerprint() -> tuple[list[tuple[object, ...]], ...]:
    """The natural content of a load, without ids or the time the load ran."""
    return (
        list(Customer.objects.order_by("id", "phones__number", "addresses__raw").values_list(
            "name", "gender", "birthday", "member_no", "points", "phones__number", "addresses__raw")),
        list(Order.objects.order_by("id").values_list("number", "status", "customer__name", "total",
                                                      "airing__starts_at", "created_at")),
        list(OrderLine.objects.order_by("id").values_list("product__sku", "quantity", "unit_price", "discount")),
        list(OrderStatusChange.objects.order_by("id").values_list("to_status", "at", "reason", "actor__username")),
        list(Airing.objects.order_by("id").values_list("station__code", "starts_at", "length_seconds", "cost")),
        list(Shipment.objects.order_by("id").values_list("order__number", "courier__code", "tracking_number",
                                                         "status", "freight", "refused_at")),
    )


def test_every_role_has_a_user_who_can_log_in(demo):
    client = Client()
    for role in Role.values:
        user = User.objects.filter(role=role).order_by("id").first()
        assert user is not None, role
        assert client.login(username=user.username, password=DEMO_PASSWORD)
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.filter(role=Role.AGENT).count() == 10
    assert sorted(User.objects.values_list("username", flat=True)) == sorted(u for u, _r, _n in DEMO_USERS)


def test_the_call_center_has_the_ivr_s_queues_a_seat_per_agent_and_the_supervisor_s_nobody_signed_in(demo):
    # Labels for the screens, and wrap-up long enough to write a note (an agent can extend it at the desk).
    assert list(Queue.objects.values_list("name", "label", "announce_seconds", "wrapup_seconds")) == [
        ("after_sales", "售后", 30, 30), ("orders", "订购", 30, 15)]
    seats = list(Seat.objects.order_by("name").values_list("name", "sip_username", "usual_agent__username", "ha1"))
    assert seats[0] == ("A-01", "8001", "agent1", digest_ha1("8001", "hotline", DEMO_SIP_PASSWORD))
    assert [seat[:3] for seat in seats[-2:]] == [("A-10", "8010", "agent10"), ("S-01", "8091", "super1")]
    assert seats[-1][3] == digest_ha1("8091", "hotline", DEMO_SIP_PASSWORD)
    assert len(seats) == 11
    # Nobody is signed in: a seat rings only once its phone is registered and its agent has signed in.
    assert list(Seat.objects.filter(agent__isnull=False)) == []


def test_stations_numbers_and_a_week_of_airings(demo):
    first = Station.objects.get(code="hunan")

    assert HotlineNumber.objects.get(number="4008001000").station == first
    assert HotlineNumber.objects.filter(station__isnull=True).count() == 1
    assert Station.objects.count() == 5
    for station in Station.objects.all():
        per_day = Airing.objects.filter(station=station, starts_at__gte=NOW - datetime.timedelta(days=1)).count()
        assert per_day >= 4
    assert Airing.objects.filter(station=first, starts_at__lte=NOW, ends_at__gte=NOW).exists()
    assert Airing.objects.earliest("starts_at").starts_at > NOW - datetime.timedelta(days=8)


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(transactional_db):
    # transactional_db: erasing is a flush, which PostgreSQL refuses inside a test's open transaction.
    load_demo(SMALL)
    first = _fingerprint()
    erase_all_data()
    load_demo(SMALL)
    again = _fingerprint()
    erase_all_data()
    load_demo(DemoOptions(customers=SMALL.customers, orders=SMALL.orders, seed=SMALL.seed + 1, now=NOW))
    other = _fingerprint()

    assert again == first
    assert other[0] != first[0] and other[1] != first[1]


def test_command_loads_an_empty_database_and_records_what_it_loaded(db):
    out = StringIO()
    call_command("loaddemo", customers=30, orders=40, seed=3, now="2026-11-24T20:00", stdout=out)

    assert Customer.objects.count() == 30
    # --orders counts the week's orders; customers on file bring their history from the year before
    assert Order.objects.filter(replaces__isnull=True, created_at__gt=NOW - HISTORY_AGE).count() == 40
    assert "Loaded in" in out.getvalue() and DEMO_PASSWORD in out.getvalue()
    record = latest_load()
    assert record is not None
    assert (record["customers"], record["orders"], record["seed"], record["version"]) == (30, 40, 3, DATASET_VERSION)


def test_command_refuses_a_database_that_holds_data_and_writes_nothing(db):
    factories.make_user("agent", username="someone")

    with pytest.raises(CommandError, match=r"already holds data \(1 users\).*--force"):
        call_command("loaddemo", customers=20, orders=10)

    assert list(User.objects.values_list("username", flat=True)) == ["someone"]
    assert not Customer.objects.exists()
    assert not AuditEntry.objects.filter(action="load_demo").exists()


def test_force_erases_the_database_and_loads(transactional_db):
    factories.make_user("agent", username="someone")
    factories.make_customer()

    call_command("loaddemo", customers=20, orders=10, force=True, stdout=StringIO())

    assert not User.objects.filter(username="someone").exists()
    assert Customer.objects.count() == 20


@pytest.mark.parametrize(("option", "value", "message"), [
    ("customers", 0, "--customers must be between 1"),
    ("orders", -1, "--orders cannot be negative"),
    ("now", "yesterday", "--now must be an ISO date-time"),
    ("batch_size", 0, "--batch-size must be at least 1"),
])
def test_command_refuses_bad_options_and_writes_nothing(db, option, value, message):
    with pytest.raises(CommandError, match=message):
        call_command("loaddemo", **{option: value})

    assert not User.objects.exists()


def test_orders_placed_after_the_load_get_fresh_ids_and_numbers(db):
    load_demo(DemoOptions(customers=50, orders=200, seed=5, now=timezone.now()))
    today = timezone.localdate().strftime("%Y%m%d")
    taken_today = Order.objects.filter(number__contains=today).count()
    agent = User.objects.get(username="agent1")
    customer = Customer.objects.get(pk=1)
    product = Product.objects.get(short_code="101")

    order, _created = do_create_order(OrderInput(customer_id=customer.pk, lines=[LineInput(product.pk, 1)],
                                                 address_id=customer.addresses.first().pk,
                                                 hotline_number="4008001000"), actor=agent)
    newcomer = factories.make_customer(name="新客户", phone="13912345678")

    assert order.number == f"HL{today}-{taken_today + 1:06d}"
    assert order.pk > Order.objects.exclude(pk=order.pk).order_by("-pk").first().pk
    assert newcomer.pk == 51
    assert order.airing is not None  # the first station is on air right now in the demo
