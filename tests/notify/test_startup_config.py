"""The notification settings at start-up (in a subprocess with a clean environment): off by default, the
gateways plugged in when configured, and an incomplete or wrong configuration refused with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lib.test_startup import start

BACKENDS = "import hotline.settings as s; print(s.HOTLINE_NOTIFY_BACKENDS['sms'], s.HOTLINE_NOTIFY_BACKENDS['fax'])"
SETUP = "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'hotline.settings'; django.setup(); print('ok')"
SMS = {"HOTLINE_SMS_URL": "https://dysmsapi.aliyuncs.com/", "HOTLINE_SMS_ACCESS_KEY_ID": "id",
       "HOTLINE_SMS_ACCESS_KEY_SECRET": "secret", "HOTLINE_SMS_SIGN_NAME": "热线优选",
       "HOTLINE_SMS_TEMPLATES": "order_placed=SMS_1,generic=SMS_9"}


def test_sms_and_fax_stay_in_the_outbox_unless_configured(tmp_path: Path) -> None:
    started = start(tmp_path, BACKENDS)
    assert started.stdout.split() == ["hotline.notify.backends.OutboxBackend"] * 2, started.stderr


def test_configured_gateways_are_used(tmp_path: Path) -> None:
    started = start(tmp_path, BACKENDS, HOTLINE_FAX_GATEWAY="{number}@fax.example.com", **SMS)
    assert started.stdout.split() == ["hotline.notify.backends.SmsGatewayBackend",
                                      "hotline.notify.backends.FaxMailBackend"], started.stderr


@pytest.mark.parametrize(("env", "message"), [
    ({**SMS, "HOTLINE_SMS_SIGN_NAME": ""}, "HOTLINE_SMS_URL needs HOTLINE_SMS_ACCESS_KEY_ID"),
    ({**SMS, "HOTLINE_SMS_TEMPLATES": "order_placed=SMS_1"}, "a generic=CODE entry in HOTLINE_SMS_TEMPLATES"),
    ({"HOTLINE_FAX_GATEWAY": "fax@example.com"}, "HOTLINE_FAX_GATEWAY must be an e-mail address containing {number}"),
    ({"HOTLINE_SMS_PER_HOUR": "-1"}, "HOTLINE_SMS_PER_HOUR must be at least 0"),
])
def test_an_incomplete_configuration_is_refused(tmp_path: Path, env: dict[str, str], message: str) -> None:
    started = start(tmp_path, BACKENDS, **env)
    assert started.returncode != 0 and message in started.stderr


def test_an_unknown_event_in_the_templates_stops_the_start(tmp_path: Path) -> None:
    started = start(tmp_path, SETUP, **{**SMS, "HOTLINE_SMS_TEMPLATES": "birthday=SMS_2,generic=SMS_9"})
    assert started.returncode != 0
    assert "HOTLINE_SMS_TEMPLATES takes event=TEMPLATE_CODE pairs for the events" in started.stderr
    assert "got 'birthday=SMS_2'" in started.stderr
    assert start(tmp_path, SETUP, **SMS).stdout.strip() == "ok"
