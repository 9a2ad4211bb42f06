"""Notification tests speak English, the language customers get when it is the site default; `provider` is
the local SMS provider server with Hotline configured for it."""

from collections.abc import Iterator
from typing import Any

import pytest

from hotline.notify.backends import backend_for
from tests.notify.provider import KEY_ID, SECRET, SIGN_NAME, Provider
from tests.notify.sms_world import TEMPLATES


@pytest.fixture(autouse=True)
def _in_english(english: None) -> None:
    """Every test here asserts English messages."""


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
