"""The back office names agents by their names, reads the status history in words, and plays recordings and
voicemails in the browser instead of showing a path on the server."""

from __future__ import annotations

import re
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from hotline.calls.callback_actions import do_handle_voicemail
from hotline.calls.host.call_log import OrmCallLog
from hotline.calls.models import CallRecord, Seat, Voicemail
from hotline.calls.seats import do_create_seat
from hotline.orders.models import Order
from hotline.service.models import CallNote, Complaint, Message
from hotline.telephony import events as ev
from tests.backoffice.helpers import admin_url, move, place_order
from tests.calls.helpers import Call, log, log_recording

RECORDING_PATH = "/var/lib/hotline/recordings/n1.wav"
VOICEMAIL_PATH = "/var/lib/hotline/recordings/voicemail/n1.wav"


def chinese_client(user: Any) -> Client:
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(user)
    return client


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def cells(html: str, column: str) -> list[str]:
    """The texts of a change list's column, or of an inline's field cells, in order."""
    found = re.findall(rf'<td class="field-{column}[^"]*">\s*(?:<p>)?(.*?)(?:</p>)?\s*</td>', html, re.S)
    return [re.sub(r"\s+", " ", text).strip() for text in found]


@pytest.fixture
def named(users: dict[str, Any]) -> dict[str, Any]:
    """The agent and the logistics clerk with names, as the demo's people have."""
    users["agent"].first_name = "王芳"
    users["agent"].save()
    users["logistics"].first_name = "赵磊"
    users["logistics"].save()
    return users


@pytest.fixture
def order(world: Any, named: dict[str, Any]) -> Order:
    placed = place_order(world, named["agent"])
    return move(placed, named, "reviewed")


@pytest.fixture
def call(named: dict[str, Any]) -> CallRecord:
    log(Call("n1").queued().step(ev.Answer, 9, agent="t_agent").step(ev.Hangup, 40, agent="t_agent"))
    log_recording("n1", RECORDING_PATH, 31.0)
    return CallRecord.objects.get(call_id="n1")


@pytest.fixture
def voicemail(call: CallRecord, named: dict[str, Any]) -> Voicemail:
    async_to_sync(OrmCallLog().file_voicemail)("n1", VOICEMAIL_PATH, 9.0)
    found = Voicemail.objects.get(call_id="n1")
    do_handle_voicemail(found, actor=named["supervisor"])
    named["supervisor"].first_name = "李强"
    named["supervisor"].save()
    return found


# ---------------------------------------------------------------- orders


def test_an_order_names_its_agent_and_who_changed_its_status(order: Order, named: dict[str, Any]) -> None:
    html = page(chinese_client(named["logistics"]), admin_url("orders/order", "change", order.pk))
    assert re.search(r'<div class="readonly">王芳</div>', html)
    assert cells(html, "actor_name") == ["王芳", "赵磊"]
    assert "t_agent" not in html and "t_logistics" not in html


def test_the_status_history_reads_in_words_from_a_dash(order: Order, named: dict[str, Any]) -> None:
    html = page(chinese_client(named["logistics"]), admin_url("orders/order", "change", order.pk))
    history = html[html.index('id="history-group"'):]
    rows = [re.sub(r"\s+", " ", row).strip()
            for row in re.findall(r'<td class="original">\s*<p>(.*?)</p>', history, re.S)]
    assert rows == ["— → 订购", "订购 → 已审核"]
    assert (cells(history, "from_status"), cells(history, "to_status")) == (["—", "订购"], ["订购", "已审核"])


def test_the_order_list_names_the_agent(order: Order, named: dict[str, Any]) -> None:
    html = page(chinese_client(named["logistics"]), admin_url("orders/order"))
    assert cells(html, "agent_name") == ["王芳"]


# ---------------------------------------------------------------- call records and recordings


def test_call_records_name_the_agent_and_play_the_recording(call: CallRecord, named: dict[str, Any]) -> None:
    client = chinese_client(named["supervisor"])
    listing = page(client, admin_url("calls/callrecord"))
    assert cells(listing, "agent_name") == ["王芳"]
    detail = page(client, admin_url("calls/callrecord", "change", call.pk))
    recording = call.recordings.get()
    assert f'<audio controls preload="none" src="/calls/recordings/{recording.pk}/audio"' in detail
    assert re.search(r'<div class="readonly">王芳</div>', detail)
    assert RECORDING_PATH not in detail and "t_agent" not in detail


def test_the_call_event_log_names_the_agent(call: CallRecord, named: dict[str, Any]) -> None:
    listing = page(chinese_client(named["supervisor"]), admin_url("calls/callevent"))
    assert set(cells(listing, "agent_name")) == {"-", "王芳"}  # the steps before an agent had the call: none
    assert "t_agent" not in listing


def test_the_recordings_list_plays_them(call: CallRecord, named: dict[str, Any]) -> None:
    recording = call.recordings.get()
    client = chinese_client(named["manager"])
    for url in [admin_url("calls/recording"), admin_url("calls/recording", "change", recording.pk)]:
        html = page(client, url)
        assert f'<audio controls preload="none" src="/calls/recordings/{recording.pk}/audio"' in html, url
        assert RECORDING_PATH not in html, url


# ---------------------------------------------------------------- voicemails


def test_voicemails_play_and_name_who_handled_them(voicemail: Voicemail, named: dict[str, Any]) -> None:
    client = chinese_client(named["supervisor"])
    listing = page(client, admin_url("calls/voicemail"))
    assert f'<audio controls preload="none" src="/calls/voicemails/{voicemail.pk}/audio"' in listing
    assert cells(listing, "handled_by_name") == ["李强"]
    detail = page(client, admin_url("calls/voicemail", "change", voicemail.pk))
    assert f'<audio controls preload="none" src="/calls/voicemails/{voicemail.pk}/audio"' in detail
    assert re.search(r'<div class="readonly">李强</div>', detail)
    assert VOICEMAIL_PATH not in listing + detail and "t_supervisor" not in listing + detail


# ---------------------------------------------------------------- customer service records


def test_notes_complaints_and_messages_name_the_agent(world: Any, named: dict[str, Any]) -> None:
    agent = named["agent"]
    note = CallNote.objects.create(call_id="n1", agent=agent, disposition="enquiry")
    complaint = Complaint.objects.create(customer=world.customer, summary="送货慢", created_by=agent)
    message = Message.objects.create(sender=agent, recipient=named["supervisor"], body="请帮忙")
    client = chinese_client(named["admin"])
    for model, pk, column in [("service/callnote", note.pk, "agent_name"),
                              ("service/complaint", complaint.pk, "created_by_name"),
                              ("service/message", message.pk, "sender_name")]:
        listing = page(client, admin_url(model))
        assert cells(listing, column) == ["王芳"], model
        detail = page(client, admin_url(model, "change", pk))
        assert re.search(r'<div class="readonly">王芳</div>', detail), model
        assert "t_agent" not in listing + detail, model


def test_seats_name_the_agent_logged_in(named: dict[str, Any]) -> None:
    seat = do_create_seat("A-01", "8001", "s3cret-pass", actor=named["admin"])
    Seat.objects.filter(pk=seat.pk).update(agent=named["agent"])  # as signing in at the desk does
    client = chinese_client(named["admin"])
    assert cells(page(client, admin_url("calls/seat")), "agent_name") == ["王芳"]
    detail = page(client, admin_url("calls/seat", "change", seat.pk))
    assert re.search(r'<div class="readonly">王芳</div>', detail)
    assert "t_agent" not in detail


def test_call_records_and_events_show_the_queue_s_label_and_filter_by_it(call: CallRecord,
                                                                          named: dict[str, Any]) -> None:
    from hotline.calls.models import Queue

    Queue.objects.update_or_create(name=call.queue, defaults={"label": "订购"})
    Queue.objects.update_or_create(name="after_sales", defaults={"label": "售后"})
    client = chinese_client(named["supervisor"])
    listing = page(client, admin_url("calls/callrecord"))
    assert cells(listing, "queue_label") == ["订购"]
    assert f'?queue={call.queue}"' in listing and ">订购</a>" in listing and ">售后</a>" in listing
    assert cells(page(client, admin_url("calls/callrecord") + "?queue=after_sales"), "queue_label") == []
    assert cells(page(client, admin_url("calls/callrecord") + f"?queue={call.queue}"), "queue_label") == ["订购"]
    detail = page(client, admin_url("calls/callrecord", "change", call.pk))
    assert '<div class="readonly">订购</div>' in detail
    events = page(client, admin_url("calls/callevent"))
    assert "订购" in cells(events, "queue_label") and call.queue not in cells(events, "queue_label")
