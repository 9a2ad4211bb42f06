"""The courier push API (`POST /api/logistics/events`): key and HMAC signature, one record per event however
often it is sent, unknown parcels reported per event, a rate limit per courier, and 100 concurrent events for
one parcel leaving one state and no duplicate events (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import Client

from hotline.accounts.models import AuditEntry
from hotline.logistics.models import Courier, EventSource, OrderTask, Shipment, ShipmentEvent, ShipmentStatus
from hotline.orders.models import OrderStatusChange, Status
from tests.logistics.conftest_feedback import make_courier, outcome, ship

URL = "/api/logistics/events"
SECRET = "s3cret-of-ems"


@pytest.fixture(autouse=True)
def _fresh_rate_window() -> Any:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ems(db: Any) -> Courier:
    return make_courier(api_key="ems-key-1", api_secret=SECRET)


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def push(events: list[dict[str, Any]], *, key: str = "ems-key-1", secret: str = SECRET,
         signature: str | None = None) -> Any:
    body = json.dumps({"events": events}).encode()
    headers = {"X-Courier-Key": key, "X-Signature": sign(body, secret) if signature is None else signature,
               "Accept-Language": "en"}
    return Client().post(URL, body, content_type="application/json", headers=headers)


def event(tracking: str, kind: str = "delivered", at: str = "2026-12-01T10:30:00+08:00", detail: str = "") -> dict:
    return {"tracking_number": tracking, "event": kind, "at": at, "detail": detail}


def test_events_are_recorded_with_their_consequences(ems: Courier, english: None) -> None:
    a, b = ship(ems, "1180245367890"), ship(ems, "1180245367906")
    response = push([event("1180245367890", detail="本人签收"), event("1180245367906", "refused", detail="不想要了")])
    assert response.status_code == 200
    assert response.json() == {"recorded": 2, "duplicates": 0, "rejected": 0, "results": [
        {"index": 0, "tracking_number": "1180245367890", "event": "delivered", "status": 200, "result": "recorded",
         "detail": ""},
        {"index": 1, "tracking_number": "1180245367906", "event": "refused", "status": 200, "result": "recorded",
         "detail": ""}]}
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.order.status) == (ShipmentStatus.DELIVERED, Status.DELIVERED)
    assert (b.status, b.refusal_reason, b.order.status) == (ShipmentStatus.REFUSED, "不想要了", Status.REFUSED)
    assert set(ShipmentEvent.objects.values_list("source", flat=True)) == {EventSource.PUSH}
    assert OrderTask.objects.get(order=b.order).urgent


def test_replay_of_the_same_body_changes_nothing(ems: Courier) -> None:
    ship(ems, "1180245367890")
    first = push([event("1180245367890", "out"), event("1180245367890")])
    before, audit = outcome(), AuditEntry.objects.count()
    again = push([event("1180245367890", "out"), event("1180245367890")])
    assert first.json()["recorded"] == 2
    assert (again.status_code, again.json()["duplicates"], again.json()["recorded"]) == (200, 2, 0)
    assert [r["result"] for r in again.json()["results"]] == ["duplicate", "duplicate"]
    assert outcome() == before and AuditEntry.objects.count() == audit


def test_unknown_tracking_number_is_reported_for_its_event(ems: Courier, english: None) -> None:
    ship(ems, "1180245367890")
    ship(make_courier("city", "城市速递", kind="city"), "CITY0000001")  # another courier's parcel is unknown too
    response = push([event("9999999999"), event("1180245367890"), event("CITY0000001"), event("no!")])
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["status"], r["result"]) for r in results] == [(422, "unknown"), (200, "recorded"),
                                                             (422, "unknown"), (422, "unknown")]
    assert results[0]["detail"] == "No parcel has the tracking number 9999999999."
    assert results[2]["detail"] == "No parcel has the tracking number CITY0000001."
    assert response.json()["rejected"] == 3


def test_conflict_is_409_for_its_event(ems: Courier, english: None) -> None:
    ship(ems, "1180245367890")
    push([event("1180245367890")])
    response = push([event("1180245367890", "refused", at="2026-12-01T12:00:00+08:00")])
    assert response.json()["results"][0] == {
        "index": 0, "tracking_number": "1180245367890", "event": "refused", "status": 409, "result": "conflict",
        "detail": "Parcel 1180245367890 is Delivered: “Refused” cannot follow."}


@pytest.mark.parametrize(("key", "signature", "reason"), [
    ("ems-key-1", "sha256=" + "0" * 64, "bad signature"),
    ("ems-key-1", "", "no signature"),
    ("wrong-key", None, "unknown key"),
    ("", None, "unknown key"),
])
def test_bad_key_or_signature_is_401_logged_and_changes_nothing(ems: Courier, key: str, signature: str | None,
                                                                reason: str, caplog: Any, english: None) -> None:
    ship(ems, "1180245367890")
    before = outcome()
    with caplog.at_level("WARNING", logger="hotline.security"):
        response = push([event("1180245367890")], key=key, signature=signature)
    assert response.status_code == 401
    assert response.json() == {"detail": "Send the courier key in X-Courier-Key and the body's HMAC-SHA256 "
                                         "signature in X-Signature (sha256=<hex>)."}
    assert outcome() == before
    refusals = [r.getMessage() for r in caplog.records if r.name == "hotline.security"]
    assert [message.split(":")[0] for message in refusals] == ["courier push refused"]
    assert reason in refusals[0]
    refusal = AuditEntry.objects.get(action="courier_push_refused")
    assert (refusal.after or {})["reason"] == reason


def test_a_body_signed_with_another_secret_is_refused(ems: Courier) -> None:
    ship(ems, "1180245367890")
    assert push([event("1180245367890")], secret="guess").status_code == 401
    assert ShipmentEvent.objects.count() == 0


def test_signature_covers_the_body_as_sent(ems: Courier) -> None:
    ship(ems, "1180245367890")
    body = json.dumps({"events": [event("1180245367890")]}).encode()
    forged = body.replace(b"delivered", b"lost")
    response = Client().post(URL, forged, content_type="application/json",
                             headers={"X-Courier-Key": "ems-key-1", "X-Signature": sign(body)})
    assert response.status_code == 401


def test_an_inactive_courier_is_refused(ems: Courier) -> None:
    Courier.objects.filter(pk=ems.pk).update(active=False)
    assert push([event("1180245367890")]).status_code == 401


def test_invalid_events_are_422_by_field(ems: Courier, english: None) -> None:
    response = push([event("1180245367890", at="2026-12-01T10:30:00"), event("1180245367890", kind="teleported")])
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"events.0.at", "events.1.event"}
    assert "offset" in errors["events.0.at"][0]


def test_at_most_500_events(ems: Courier) -> None:
    response = push([event(f"11802453{i:05d}") for i in range(501)])
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"events"}


def test_rate_limited_per_courier(ems: Courier, settings: Any, english: None) -> None:
    settings.HOTLINE_COURIER_PUSH_PER_MINUTE = 2
    ship(ems, "1180245367890")
    answers = [push([event("1180245367890")]).status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    other = make_courier("city", "城市速递", kind="city", api_key="city-key", api_secret="city-secret")
    assert push([event("1180245367890")], key=other.api_key or "", secret="city-secret").status_code == 200


def test_documented_in_the_openapi() -> None:
    document = Client().get("/api/openapi.json").json()
    operation = document["paths"][URL]["post"]
    assert {"200", "401", "413", "422", "429"} <= set(operation["responses"])
    assert operation["security"] == [{"CourierSignature": []}]
    assert operation["requestBody"]["content"]["application/json"]["example"]["events"][0]["event"] == "delivered"


# ---------------------------------------------------------------- at the same time


def in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` in `count` threads released together; their results, or the first error raised.

    PostgreSQL here allows 100 connections in all, so there at most 80 requests hold one at a time, as a
    web server's bounded pool of database connections would; SQLite takes all of them at once."""
    start = threading.Barrier(count)
    pool = threading.BoundedSemaphore(80 if connections["default"].vendor == "postgresql" else count)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            start.wait(timeout=30)
            with pool:
                try:
                    results.append(work(i))
                finally:
                    connections.close_all()
        except BaseException as exc:  # re-raised below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results


@pytest.mark.django_db(transaction=True)
def test_100_concurrent_events_for_one_parcel_leave_one_state(settings: Any) -> None:
    settings.HOTLINE_COURIER_PUSH_PER_MINUTE = 1000
    ems = make_courier(api_key="ems-key-1", api_secret=SECRET)
    parcel = ship(ems, "1180245367890")
    # 25 couriers' scanners sending the same four events, each of them 25 times, all at once
    kinds = ["in_transit", "out", "delivered", "refused"]
    times = {"in_transit": "08:00", "out": "09:00", "delivered": "10:00", "refused": "10:05"}

    def send(i: int) -> tuple[int, str]:
        kind = kinds[i % 4]
        response = push([event("1180245367890", kind, at=f"2026-12-01T{times[kind]}:00+08:00")])
        return response.status_code, response.json()["results"][0]["result"]

    answers = in_threads(100, send)
    assert {status for status, _result in answers} == {200}
    parcel.refresh_from_db()
    events = list(ShipmentEvent.objects.filter(shipment=parcel).values_list("kind", flat=True))
    assert len(events) == len(set(events))  # no event twice
    recorded = sorted(result for _status, result in answers if result == "recorded")
    assert len(recorded) == len(events)
    # delivered and refused exclude each other: whichever came first decided, the other was a conflict
    assert ("delivered" in events) != ("refused" in events)
    assert parcel.status == (ShipmentStatus.DELIVERED if "delivered" in events else ShipmentStatus.REFUSED)
    assert parcel.order.status == (Status.DELIVERED if "delivered" in events else Status.REFUSED)
    assert OrderStatusChange.objects.filter(order=parcel.order).count() == 1
    assert Shipment.objects.get(pk=parcel.pk).last_event_at is not None
