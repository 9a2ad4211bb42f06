"""`hotline engine`: the EngineConfig built from settings and the database, and a live engine on it."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connections

from hotline.calls.host.build import build_engine
from hotline.calls.host.config import HOLD_MUSIC, engine_config, trunks_from
from hotline.calls.models import NumberRoute, Queue
from hotline.calls.seats import digest_ha1, do_create_seat, do_log_in_to_seat
from hotline.cli import COMMANDS
from hotline.telephony.acd.queue import OverflowKind, OverflowTarget, QueueConfig, Strategy
from hotline.telephony.engine import SeatConfig
from hotline.telephony.ports import Route
from hotline.telephony.sip.trunks import Trunk
from tests import factories

HA1 = digest_ha1("8001", "hotline", "s3cret-pass")


@pytest.fixture
def configured(users: Any) -> None:
    """A seat with the agent logged in, a seat nobody is at, a queue, and a number routed to the queue."""
    queue = Queue.objects.create(name="orders", strategy="round_robin", wrapup_seconds=15, max_wait_seconds=120,
                                 max_length=10)
    NumberRoute.objects.create(hotline_number=factories.make_hotline("4008001000"), queue=queue)
    seat = do_create_seat("A-01", "8001", "s3cret-pass", actor=users["admin"])
    do_log_in_to_seat(seat, users["agent"], actor=users["agent"])
    do_create_seat("A-02", "8002", "other-pass", actor=users["admin"], fixed_uri="sip:8002@10.0.0.5")


def test_the_cli_maps_engine() -> None:
    assert COMMANDS["engine"] == "engine"


@pytest.mark.django_db
def test_the_config_comes_from_settings_and_the_database(configured: None, settings: Any) -> None:
    settings.HOTLINE_SIP_HOST, settings.HOTLINE_SIP_PORT = "127.0.0.2", 5070
    settings.HOTLINE_TRUNKS = "10.1.2.3, 192.168.0.0/24"
    settings.HOTLINE_RTP_PORT_MIN, settings.HOTLINE_RTP_PORT_MAX = 30000, 30099
    engine, directory = build_engine()
    try:
        config = engine.config
        route = async_to_sync(directory.route)("4008001000")
    finally:
        directory.close()
    assert (config.sip_host, config.sip_port, config.realm) == ("127.0.0.2", 5070, "hotline")
    assert config.trunks == (Trunk.of("trunks", ["10.1.2.3", "192.168.0.0/24"]),)
    assert config.queues == (QueueConfig("orders", strategy=Strategy.ROUND_ROBIN, wrap_up_seconds=15.0, max_length=10,
                                         max_wait_seconds=120.0, overflow=OverflowTarget(OverflowKind.BUSY, ""),
                                         announce_seconds=30.0),)
    assert config.seats == (SeatConfig(agent="t_agent", seat="A-01", username="8001", queues=("orders",)),
                            SeatConfig(agent="", seat="A-02", username="8002", fixed_uri="sip:8002@10.0.0.5",
                                       queues=("orders",)))
    assert list(config.flows) == ["demo"] and config.flows["demo"].name == "demo"
    assert config.rtp_ports == range(30000, 30100)
    assert config.recordings == settings.DATA_DIR / "recordings"
    assert config.hold_music == HOLD_MUSIC and HOLD_MUSIC.is_file()
    lookup = config.credentials
    assert lookup is not None
    assert (lookup("8001", "hotline"), lookup("8001", "other"), lookup("9", "hotline")) == (HA1, None, None)
    assert route == Route(hotline_number="4008001000", flow="", queue="orders")


@pytest.mark.django_db
def test_stored_ivr_flows_and_the_active_prompt_folder_reach_the_engine(users: Any) -> None:
    from hotline.ivrdata.actions import do_import_flow_yaml
    from tests.ivrdata.helpers import SALES_YAML

    do_import_flow_yaml("sales", SALES_YAML, actor=users["admin"])
    config = engine_config(lambda username, realm: None, sip_port=0)
    assert sorted(config.flows) == ["demo", "sales"] and config.flows["sales"].start == "hello"
    assert config.prompts.name == "prompts-active" and (config.prompts / "welcome.wav").is_file()


@pytest.mark.django_db
def test_without_queue_rows_the_demo_flows_queues_are_used() -> None:
    config = engine_config(lambda username, realm: None, sip_port=0)
    assert config.queues == (QueueConfig("after_sales"), QueueConfig("orders"))
    assert (config.seats, config.sip_port) == ((), 0)


def test_trunks_from_an_empty_list_is_no_trunk() -> None:
    assert trunks_from(" , ") == ()


def options(port: int) -> bytes:
    """A minimal out-of-dialog OPTIONS from a probe at 127.0.0.1:`port`."""
    return (f"OPTIONS sip:hotline@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-probe-1\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=probe\r\nTo: <sip:hotline@127.0.0.1>\r\n"
            "Call-ID: probe-1@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()


@pytest.mark.django_db(transaction=True)
def test_the_built_engine_answers_options(configured: None) -> None:
    engine, directory = build_engine(sip_port=0)

    async def scenario() -> bytes:
        await engine.start()
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.bind(("127.0.0.1", 0))
                probe.settimeout(5)
                probe.sendto(options(probe.getsockname()[1]), engine.sip_address)
                return await asyncio.to_thread(probe.recv, 4096)
        finally:
            await engine.stop()
            await sync_to_async(connections.close_all, thread_sensitive=True)()  # the worker thread's connection

    try:
        answer = asyncio.run(asyncio.wait_for(scenario(), 30))
    finally:
        directory.close()
    assert answer.startswith(b"SIP/2.0 200 OK\r\n")
    assert b"CSeq: 1 OPTIONS" in answer


@pytest.mark.django_db(transaction=True)
def test_a_seat_s_phone_registers_with_the_database_s_digest_before_and_after_a_seat_write(
        configured: None, users: Any) -> None:
    # The registrar checks credentials on the event loop: they must come from memory, never the ORM there.
    from hotline.calls.models import Seat
    from hotline.calls.seats import do_set_seat_password
    from hotline.simulate.phones import AgentPhone, SipEndpoint

    engine, directory = build_engine(sip_port=0)

    async def register(password: str) -> int:
        endpoint = await SipEndpoint().start()
        try:
            return await AgentPhone(endpoint, "8001", password).register(engine.sip_address)
        finally:
            await endpoint.close()

    async def scenario() -> list[int]:
        await engine.start()
        try:
            first = await register("s3cret-pass")
            seat = await sync_to_async(Seat.objects.get, thread_sensitive=True)(name="A-01")
            await sync_to_async(do_set_seat_password, thread_sensitive=True)(seat, "new-pass-123", actor=users["admin"])
            return [first, await register("s3cret-pass"), await register("new-pass-123")]
        finally:
            await engine.stop()
            await sync_to_async(connections.close_all, thread_sensitive=True)()

    try:
        results = asyncio.run(asyncio.wait_for(scenario(), 30))
    finally:
        directory.close()
    assert results == [200, 401, 200]
    assert engine.contact_of("t_agent") is not None


@pytest.mark.django_db
def test_the_trunk_options_come_from_the_environment_settings(settings: Any) -> None:
    settings.HOTLINE_TRUNK_EARLY_MEDIA_CAPTURE = True
    settings.HOTLINE_TRUNK_RTP_BEHIND_NAT = False
    (trunk,) = engine_config(lambda username, realm: None, sip_port=0).trunks
    assert (trunk.early_media_capture, trunk.rtp_behind_nat) == (True, False)
    (default,) = trunks_from("10.0.0.0/24")
    assert (default.early_media_capture, default.rtp_behind_nat) == (False, False)
