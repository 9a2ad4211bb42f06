"""The README's SIPp call, literally: `sipp -sf hotline/simulate/scenarios/customer_call.xml -s 4008001000 -m 1`
from the repository's root rings the desk of the agent signed in at a registered seat, who hears the customer."""

from __future__ import annotations

import datetime
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from hotline.accounts.models import User
from hotline.calls.commands import do_agent_log_in, do_set_agent_state
from hotline.calls.models import CallRecord, Seat
from hotline.crm.models import CustomerPhone
from hotline.demo.data import SHOWCASE_NUMBER
from hotline.demo.loader import DemoOptions, load_demo
from hotline.simulate import DEMO_SIP_PASSWORD
from hotline.simulate.sipp import PCAP, SCENARIO, rtp_packets
from tests import livetest

from .helpers import hang_up_once_heard

ROOT = Path(__file__).resolve().parents[2]
HEARD = 150  # frames of the customer's voice the agent's phone takes before hanging up (3 s of audio)
SMALL_DEMO = DemoOptions(customers=40, orders=20, seed=4, batch_size=40,
                         now=datetime.datetime(2026, 11, 24, 20, 0, tzinfo=datetime.UTC))


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_shipped_pcap_is_what_the_generator_makes_from_the_voice() -> None:
    packets = rtp_packets()
    assert PCAP.stat().st_size == 24 + sum(16 + 14 + 20 + 8 + len(rtp) for _at, rtp in packets)
    assert SCENARIO.read_text().count('play_pcap_audio="hotline/simulate/scenarios/customer_call.pcap"') == 1
    assert sum(1 for _at, rtp in packets if rtp[1] & 0x7F == 101) == 0  # no key: a silent caller reaches orders
    keyed = rtp_packets(key="1")
    assert sum(1 for _at, rtp in keyed if rtp[1] & 0x7F == 101) == 6  # a key: 3 updates, the end ×3


@pytest.mark.django_db(transaction=True)
def test_the_readme_s_sipp_call_rings_the_signed_in_agent_who_hears_the_customer() -> None:
    load_demo(SMALL_DEMO)
    assert CustomerPhone.objects.filter(number=SHOWCASE_NUMBER).count() == 1  # a known customer calls
    with livetest.engine_running() as embedded, livetest.SipLab(embedded.engine.sip_address) as lab:  # type: ignore[union-attr]
        host, port = embedded.engine.sip_address  # type: ignore[union-attr]
        phone = lab.register_agent("8001", DEMO_SIP_PASSWORD, ring=0.5)
        hung_up = hang_up_once_heard(lab, phone, HEARD)  # before the scenario's own hang-up at 35 s
        agent1 = User.objects.get(username="agent1")
        do_agent_log_in(Seat.objects.get(name="A-01"), actor=agent1)
        do_set_agent_state(True, actor=agent1)
        sipp = subprocess.run(
            [shutil.which("sipp") or "/usr/bin/sipp", "-sf", str(SCENARIO.relative_to(ROOT)), "-s", "4008001000",
             "-m", "1", f"{host}:{port}", "-i", "127.0.0.1", "-mp", str(free_udp_port()), "-nostdin",
             "-timeout", "90s", "-timeout_error"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
        hung_up.result(60)
        deadline = time.monotonic() + 30
        while not CallRecord.objects.exclude(outcome="").exists() and time.monotonic() < deadline:
            time.sleep(0.1)  # closed after agent1's wrap-up
        embedded.stop()
    assert sipp.returncode == 0, (sipp.stdout[-2000:] + sipp.stderr[-2000:])
    record = CallRecord.objects.get()
    assert (record.caller, record.queue, record.agent_key, record.outcome) == (
        SHOWCASE_NUMBER, "orders", "agent1", "answered")
    (stream,) = phone.streams
    assert stream.received >= HEARD and len(stream.by_mark) > 10  # the customer's voice, through the bridge
