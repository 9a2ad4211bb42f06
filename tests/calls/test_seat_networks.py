"""A seat's allowed networks: validated as addresses or CIDRs (the field named), and handed to the engine."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from hotline.calls.admin import SeatForm
from hotline.calls.host.config import seat_configs
from hotline.calls.models import Seat
from hotline.calls.seats import do_create_seat

pytestmark = pytest.mark.django_db


def test_a_bad_network_is_refused_naming_the_field() -> None:
    seat = Seat(name="A-01", sip_username="8001", allowed_networks="10.0.0.0/24 office-lan")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        seat.full_clean()
    with translation.override("zh-hans"):
        errors = refused.value.message_dict
    assert errors == {
        "allowed_networks": ["office-lan 不是 IP 地址或网段（例如 10.0.0.0/24）。"]}


def test_the_admin_form_edits_the_networks_and_the_engine_gets_them() -> None:
    seat = do_create_seat("A-01", "8001", "a-strong-one", actor=None)
    form = SeatForm(instance=seat, data={"name": "A-01", "sip_username": "8001", "realm": "hotline",
                                         "fixed_uri": "", "allowed_networks": "10.0.0.0/24, 192.168.1.5"})
    assert form.is_valid(), form.errors
    form.save()
    assert [config.networks for config in seat_configs(())] == [("10.0.0.0/24", "192.168.1.5")]
