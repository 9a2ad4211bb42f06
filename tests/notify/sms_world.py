"""Fixtures of the SMS tests: the local provider server and settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hotline.crm.models import Customer
from hotline.notify.backends import backend_for
from tests.notify.provider import KEY_ID, SECRET, SIGN_NAME, Provider

TEMPLATES = ("order_placed=SMS_100,order_shipped=SMS_200,out_for_delivery=SMS_300,order_status=SMS_400,"
             "care_greeting=SMS_500,generic=SMS_900")


@pytest.fixture
def provider(settings: Any) -> Iterator[Provider]:
    """A provider on 127.0.0.1 and Hotline configured for it (one-second timeout, no hourly limit)."""
    server = Provider()
    server.start()
    settings.HOTLINE_SMS_URL = server.url
    settings.HOTLINE_SMS_ACCESS_KEY_ID, settings.HOTLINE_SMS_ACCESS_KEY_SECRET = KEY_ID, SECRET
    settings.HOTLINE_SMS_SIGN_NAME, settings.HOTLINE_SMS_TEMPLATES = SIGN_NAME, TEMPLATES
    settings.HOTLINE_SMS_TIMEOUT, settings.HOTLINE_SMS_PER_HOUR = 1, 0
    settings.HOTLINE_NOTIFY_RETRY_MINUTES, settings.HOTLINE_NOTIFY_MAX_ATTEMPTS = 2, 6
    settings.HOTLINE_NOTIFY_BACKENDS = {**settings.HOTLINE_NOTIFY_BACKENDS,
                                        "sms": "hotline.notify.backends.SmsGatewayBackend"}
    backend_for.cache_clear()
    try:
        yield server
    finally:
        server.stop()
        backend_for.cache_clear()


def customer_with(number: str, name: str = "李四", gender: str = "f") -> Customer:
    customer = Customer.objects.create(name=name, gender=gender)
    customer.phones.create(number=number, kind="mobile", is_primary=True)
    return customer
