"""Back-office screens for seats and number routes: the password is write-only, bad input changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from hotline.accounts.models import AuditEntry
from hotline.calls.models import NumberRoute, Queue, Seat
from hotline.calls.seats import digest_ha1, do_create_seat, do_save_seat
from tests.backoffice.helpers import admin_url, english_client

pytestmark = pytest.mark.django_db
SEAT = {"name": "A-01", "sip_username": "8001", "realm": "hotline", "fixed_uri": ""}


def test_admin_adds_a_seat_and_only_its_ha1_is_stored(users: Any) -> None:
    response = english_client(users["admin"]).post(admin_url("calls/seat", "add"),
                                                    {**SEAT, "password": "s3cret-pass"})
    assert response.status_code == 302
    seat = Seat.objects.get()
    assert seat.ha1 == digest_ha1("8001", "hotline", "s3cret-pass")
    assert "s3cret-pass" not in str(AuditEntry.objects.filter(object_type="calls.seat").values("after"))


def test_a_new_seat_without_a_password_is_refused(users: Any) -> None:
    response = english_client(users["admin"]).post(admin_url("calls/seat", "add"), {**SEAT, "password": ""})
    assert Seat.objects.count() == 0
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "password": ["Set a password for a new seat or a changed user name or realm."]}
    assert AuditEntry.objects.filter(object_type="calls.seat").count() == 0


def test_editing_a_seat_without_a_password_keeps_it_unless_the_user_name_changes(users: Any) -> None:
    seat = do_create_seat("A-01", "8001", "s3cret-pass", actor=users["admin"])
    old = seat.ha1
    seat.fixed_uri = "sip:8001@10.0.0.5"
    do_save_seat(seat, actor=users["admin"])
    assert Seat.objects.get().ha1 == old
    seat.sip_username = "8009"
    with pytest.raises(ValidationError, match="Set a password"):
        do_save_seat(seat, actor=users["admin"])
    assert Seat.objects.get().sip_username == "8001"


def test_a_route_needs_a_flow_or_a_queue_but_not_both(world: Any, users: Any) -> None:
    queue = Queue.objects.create(name="orders")
    client = english_client(users["admin"])
    for data in ({"flow": "", "queue": ""}, {"flow": "demo", "queue": str(queue.pk)}):
        response = client.post(admin_url("calls/numberroute", "add"), {"hotline_number": world.hotline.pk, **data})
        assert response.status_code == 200
        assert "one of them" in response.content.decode()
    assert NumberRoute.objects.count() == 0
    response = client.post(admin_url("calls/numberroute", "add"), {"hotline_number": world.hotline.pk,
                                                                    "flow": "demo", "queue": ""})
    assert response.status_code == 302
    assert NumberRoute.objects.get().flow == "demo"
