"""A hotline number's "straight to the queue during an airing" option: its queue is required, and kept."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from hotline.calls.models import Queue
from hotline.media.models import HotlineNumber

pytestmark = pytest.mark.django_db


def test_the_option_is_off_by_default_and_needs_no_queue(world: Any) -> None:
    number = HotlineNumber.objects.get(pk=world.hotline.pk)
    assert (number.skip_menu_during_airing, number.airing_queue) == (False, None)
    number.full_clean()


def test_skipping_the_menu_without_a_queue_is_refused_naming_the_queue_field(world: Any) -> None:
    world.hotline.skip_menu_during_airing = True
    with pytest.raises(ValidationError) as refused:
        world.hotline.full_clean()
    assert refused.value.message_dict == {"airing_queue": ["Choose the queue callers go straight to during an airing."]}
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as refused:
            world.hotline.full_clean()
        assert refused.value.message_dict == {"airing_queue": ["请选择播出期间来电直接进入的队列。"]}


def test_a_queue_that_a_number_goes_to_during_airings_cannot_be_deleted(world: Any) -> None:
    orders = Queue.objects.create(name="orders")
    world.hotline.skip_menu_during_airing, world.hotline.airing_queue = True, orders
    world.hotline.full_clean()
    world.hotline.save()
    with pytest.raises(ProtectedError):
        orders.delete()
    assert HotlineNumber.objects.get(pk=world.hotline.pk).airing_queue == orders


def test_the_back_office_sets_the_option_and_shows_the_missing_queue_on_its_field(world: Any,
                                                                                   users: dict[str, Any]) -> None:
    orders = Queue.objects.create(name="orders")
    client = Client()
    client.force_login(users["admin"])
    url = reverse("admin:media_hotlinenumber_change", args=[world.hotline.pk])
    form = {"number": "4008001000", "station": str(world.station.pk), "description": "", "active": "on",
            "skip_menu_during_airing": "on"}
    refused = client.post(url, form)
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors == {
        "airing_queue": ["Choose the queue callers go straight to during an airing."]}
    assert HotlineNumber.objects.get(pk=world.hotline.pk).skip_menu_during_airing is False
    saved = client.post(url, {**form, "airing_queue": str(orders.pk)})
    assert saved.status_code == 302
    number = HotlineNumber.objects.get(pk=world.hotline.pk)
    assert (number.skip_menu_during_airing, number.airing_queue) == (True, orders)
