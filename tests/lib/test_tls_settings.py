"""TLS settings come from the environment, typed; off by default so that the demo works over plain http;
bad values fail at start-up with a message naming the variable (settings imported in a subprocess)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lib.test_startup import start

TLS = ("import hotline.settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
       "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, s.SECURE_PROXY_SSL_HEADER, "
       "s.CSRF_TRUSTED_ORIGINS, s.CSP_REPORT_ONLY)")


def test_everything_is_off_by_default(tmp_path: Path) -> None:
    started = start(tmp_path, TLS)
    assert started.stdout.strip() == "False False False 0 False False None [] False", started.stderr


def test_behind_a_tls_proxy(tmp_path: Path) -> None:
    started = start(tmp_path, TLS, SESSION_COOKIE_SECURE="1", CSRF_COOKIE_SECURE="yes", SECURE_SSL_REDIRECT="on",
                    SECURE_HSTS_SECONDS="31536000", SECURE_HSTS_INCLUDE_SUBDOMAINS="true", SECURE_HSTS_PRELOAD="0",
                    SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
                    CSRF_TRUSTED_ORIGINS="https://hotline.example.cn, https://hotline.example.cn:8443",
                    HOTLINE_CSP_REPORT_ONLY="1")
    assert started.stdout.strip() == (
        "True True True 31536000 True False ('HTTP_X_FORWARDED_PROTO', 'https') "
        "['https://hotline.example.cn', 'https://hotline.example.cn:8443'] True"), started.stderr


@pytest.mark.parametrize(("env", "message"), [
    ({"SESSION_COOKIE_SECURE": "maybe"}, "SESSION_COOKIE_SECURE must be one of 1/0, true/false, yes/no, on/off"),
    ({"SECURE_HSTS_SECONDS": "-1"}, "SECURE_HSTS_SECONDS must be at least 0; got '-1'"),
    ({"SECURE_HSTS_SECONDS": "a year"}, "SECURE_HSTS_SECONDS must be a whole number; got 'a year'"),
    ({"SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https"},
     "SECURE_PROXY_SSL_HEADER takes the name of the header your proxy sets, e.g. X-Forwarded-Proto; "
     "got 'X-Forwarded-Proto: https'"),
    ({"CSRF_TRUSTED_ORIGINS": "hotline.example.cn"},
     "CSRF_TRUSTED_ORIGINS takes origins like https://hotline.example.cn (scheme and host, no path), "
     "comma-separated; got ['hotline.example.cn']"),
    ({"CSRF_TRUSTED_ORIGINS": "https://hotline.example.cn/desk/"},
     "got ['https://hotline.example.cn/desk/']"),
])
def test_bad_values_are_refused_at_start_up(tmp_path: Path, env: dict[str, str], message: str) -> None:
    started = start(tmp_path, TLS, **env)
    assert started.returncode != 0
    assert message in started.stderr
