"""OrmDirectory: routes per hotline number, attribution, seat credentials (HA1) and agent <-> seat."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import timezone

from hotline.accounts.models import AuditEntry
from hotline.calls.host.directory import OrmDirectory, SeatCredentialCache
from hotline.calls.models import NumberRoute, Queue, Seat
from hotline.calls.seats import digest_ha1, do_create_seat, do_log_in_to_seat, do_log_out_of_seat, do_set_seat_password
from hotline.telephony.ports import Attribution, Directory, Route, SeatCredentials
from tests import factories

pytestmark = pytest.mark.django_db
HA1 = digest_ha1("8001", "hotline", "s3cret-pass")


@pytest.fixture
def directory() -> Any:
    found = OrmDirectory()
    yield found
    found.close()


def test_the_directory_implements_the_port(directory: OrmDirectory) -> None:
    port: Directory = directory
    assert callable(port.route)


def test_ha1_is_md5_of_user_realm_password() -> None:
    assert digest_ha1("Mufasa", "testrealm@host.com", "Circle Of Life") == "939e7578ed9e3c518a452acee763bce9"


def test_a_number_without_a_route_goes_to_the_demo_flow_in_any_notation(world: Any, directory: OrmDirectory) -> None:
    for dnis in ("4008001000", "400-800-1000", "400 800 1000"):
        assert async_to_sync(directory.route)(dnis) == Route(hotline_number="4008001000", flow="demo")


def test_a_routed_number_goes_to_its_flow_or_queue(world: Any, directory: OrmDirectory) -> None:
    sales = Queue.objects.create(name="sales")
    other = factories.make_hotline("4008002000")
    NumberRoute.objects.create(hotline_number=world.hotline, flow="vip")
    NumberRoute.objects.create(hotline_number=other, queue=sales)
    assert async_to_sync(directory.route)("4008001000") == Route(hotline_number="4008001000", flow="vip")
    assert async_to_sync(directory.route)("4008002000") == Route(hotline_number="4008002000", queue="sales")


@pytest.mark.parametrize("dnis", ["4008009999", "", "abc", "12"])
def test_an_unknown_number_has_no_route(world: Any, directory: OrmDirectory, dnis: str) -> None:
    assert async_to_sync(directory.route)(dnis) is None


def test_an_inactive_number_has_no_route(world: Any, directory: OrmDirectory) -> None:
    world.hotline.active = False
    world.hotline.save()
    assert async_to_sync(directory.route)("4008001000") is None


def test_a_call_during_an_airing_is_attributed_to_it(world: Any, directory: OrmDirectory) -> None:
    start = timezone.now() - datetime.timedelta(minutes=5)
    airing = factories.make_airing(world.station, starts_at=start)
    got = async_to_sync(directory.attribute)("400-800-1000", start + datetime.timedelta(minutes=3))
    assert got == Attribution(airing_id=airing.pk, station="hunan")


def test_a_call_without_an_airing_or_to_an_unknown_number_is_not_attributed(world: Any,
                                                                             directory: OrmDirectory) -> None:
    start = timezone.now() - datetime.timedelta(days=2)
    factories.make_airing(world.station, starts_at=start)
    assert async_to_sync(directory.attribute)("4008001000", timezone.now()) == Attribution(airing_id=None)
    assert async_to_sync(directory.attribute)("4008009999", start) == Attribution(airing_id=None)


def test_seat_credentials_carry_ha1_never_the_password(users: Any, directory: OrmDirectory) -> None:
    do_create_seat("A-01", "8001", "s3cret-pass", actor=users["admin"], fixed_uri="sip:8001@10.0.0.5")
    assert async_to_sync(directory.seat_credentials)("8001") == SeatCredentials(
        seat="A-01", username="8001", realm="hotline", ha1=HA1, fixed_uri="sip:8001@10.0.0.5")
    assert async_to_sync(directory.seat_credentials)("9999") is None
    assert "s3cret-pass" not in str(list(Seat.objects.values()))
    assert AuditEntry.objects.filter(action="create_seat", object_id=str(Seat.objects.get().pk)).count() == 1


def test_the_synchronous_lookup_fits_a_realm_and_follows_password_changes(
        users: Any, directory: OrmDirectory, django_capture_on_commit_callbacks: Any) -> None:
    seat = do_create_seat("A-01", "8001", "s3cret-pass", actor=users["admin"])
    lookup = directory.credentials.ha1
    assert lookup("8001", "hotline") == HA1
    assert lookup("8001", "other-realm") is None
    assert lookup("nobody", "hotline") is None
    with django_capture_on_commit_callbacks(execute=True):
        do_set_seat_password(seat, "n3w-password", actor=users["admin"])
    assert lookup("8001", "hotline") == digest_ha1("8001", "hotline", "n3w-password")


@pytest.mark.parametrize("password", ["short", "with\"quote!", "tab\there-1"])
def test_a_bad_password_is_refused_and_changes_nothing(users: Any, password: str) -> None:
    seat = do_create_seat("A-01", "8001", "s3cret-pass", actor=users["admin"])
    with pytest.raises(ValidationError) as error:
        do_set_seat_password(seat, password, actor=users["admin"])
    assert list(error.value.message_dict) == ["password"]
    assert Seat.objects.get().ha1 == HA1
    with pytest.raises(ValidationError):
        do_create_seat("A-02", "8002", password, actor=users["admin"])
    assert Seat.objects.count() == 1


def test_agent_and_seat_map_both_ways(users: Any, directory: OrmDirectory) -> None:
    first = do_create_seat("A-01", "8001", "s3cret-pass", actor=users["admin"])
    second = do_create_seat("A-02", "8002", "s3cret-pass", actor=users["admin"])
    do_log_in_to_seat(first, users["agent"], actor=users["agent"])
    assert async_to_sync(directory.seat_of_agent)("t_agent") == "A-01"
    assert async_to_sync(directory.agent_at_seat)("A-01") == "t_agent"
    do_log_in_to_seat(second, users["agent"], actor=users["agent"])  # moving leaves the first seat
    assert async_to_sync(directory.seat_of_agent)("t_agent") == "A-02"
    assert async_to_sync(directory.agent_at_seat)("A-01") is None
    do_log_out_of_seat(second, actor=users["agent"])
    assert async_to_sync(directory.seat_of_agent)("t_agent") is None
    assert async_to_sync(directory.agent_at_seat)("A-02") is None
    assert async_to_sync(directory.agent_at_seat)("no-such-seat") is None


def test_a_seat_held_by_someone_else_is_refused(users: Any) -> None:
    seat = do_create_seat("A-01", "8001", "s3cret-pass", actor=users["admin"])
    do_log_in_to_seat(seat, users["agent"], actor=users["agent"])
    with pytest.raises(ValidationError):
        do_log_in_to_seat(seat, users["supervisor"], actor=users["supervisor"])
    assert Seat.objects.get().agent == users["agent"]


@pytest.mark.django_db(transaction=True)
def test_the_ports_work_from_a_running_event_loop(users: Any) -> None:
    factories.make_hotline("4008001000")
    do_create_seat("A-01", "8001", "s3cret-pass", actor=users["admin"])
    do_log_in_to_seat(Seat.objects.get(), users["agent"], actor=users["agent"])
    directory = OrmDirectory(SeatCredentialCache())

    async def scenario() -> tuple[Any, ...]:
        try:
            return tuple(await asyncio.gather(directory.route("4008001000"), directory.seat_credentials("8001"),
                                              directory.seat_of_agent("t_agent"), directory.agent_at_seat("A-01")))
        finally:
            await sync_to_async(connections.close_all, thread_sensitive=True)()  # the worker thread's connection

    try:
        route, credentials, seat, agent = asyncio.run(scenario())
    finally:
        directory.close()
    assert route == Route(hotline_number="4008001000", flow="demo")
    assert credentials.ha1 == HA1
    assert (seat, agent) == ("A-01", "t_agent")


def test_a_caller_s_profile_says_vip_and_who_answered_them_last_within_30_days(users: Any,
                                                                             directory: OrmDirectory) -> None:
    from hotline.calls.models import CallRecord
    from hotline.telephony.ports import CallerProfile

    factories.make_customer(phone="13800138000", level="vip")
    factories.make_customer(name="李丽", phone="13900139000")
    now = timezone.now()
    calls = (("old", "13900139000", "t_supervisor", 40), ("mid", "13900139000", "t_agent", 2),
             ("new", "13900139000", "", 1), ("vip", "13800138000", "t_agent", 0))
    for call_id, caller, agent, days in calls:
        CallRecord.objects.create(call_id=call_id, caller=caller, agent_key=agent,
                                  arrived_at=now - datetime.timedelta(days=days))
    profile = async_to_sync(directory.caller_profile)
    # the number in normal form comes back too: callbacks are kept under it, whatever format the caller used
    assert profile("+86 138-0013-8000") == CallerProfile(vip=True, last_agent="t_agent", number="13800138000")
    assert profile("13900139000") == CallerProfile(vip=False, last_agent="t_agent",  # unanswered calls skipped
                                                   number="13900139000")
    assert profile("13700137000") == CallerProfile(number="13700137000")
    assert profile("") == CallerProfile()
    assert profile("anonymous") == CallerProfile(number="anonymous")
