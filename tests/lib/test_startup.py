"""Start-up: importing the settings in a clean environment refuses a database named by DATABASE_URL
without a secret key, and bad configuration values, each with a clear message (run in a subprocess); the
demo's database (no DATABASE_URL) keeps a key of its own in the data folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REFUSAL = ("django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set. Hotline needs one for a database "
           "named by DATABASE_URL: export SECRET_KEY to a long random value")
POSTGRES = "postgres://hotline@127.0.0.1:5432/hotline"
PRINT = "import hotline.settings as s; print(s.SECRET_KEY == s.DEMO_SECRET_KEY, s.HOTLINE_NOTIFY_BACKENDS['email'])"


def start(tmp_path: Path, code: str = PRINT, **env: str) -> subprocess.CompletedProcess[str]:
    """Import the settings with only PATH, HOME, a data folder and `env` set."""
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
             "HOTLINE_DATA_DIR": str(tmp_path / "data"), **env}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True,
                          timeout=60, check=False)


@pytest.mark.parametrize("env", [{}, {"SECRET_KEY": ""}, {"SECRET_KEY": "   "}, {"HOTLINE_DEMO": "0"}])
def test_a_database_url_without_a_secret_key_is_refused(tmp_path: Path, env: dict[str, str]) -> None:
    started = start(tmp_path, DATABASE_URL=POSTGRES, **env)
    assert started.returncode != 0
    assert REFUSAL in started.stderr
    assert "or unset DATABASE_URL to use the demo's database (SQLite in the data folder)." in started.stderr


def test_the_demo_s_database_keeps_a_random_key_of_its_own_in_the_data_folder(tmp_path: Path) -> None:
    code = "import hotline.settings as s; print(s.SECRET_KEY)"
    first, second = start(tmp_path, code), start(tmp_path, code)
    kept = tmp_path / "data" / "secret_key"
    assert (first.returncode, second.returncode) == (0, 0), first.stderr
    assert first.stdout.strip() == second.stdout.strip() == kept.read_text().strip()
    assert len(kept.read_text().strip()) >= 50 and kept.stat().st_mode & 0o777 == 0o600
    assert [path.name for path in kept.parent.iterdir() if path.name.startswith(".secret_key")] == []


@pytest.mark.parametrize(("env", "out"), [
    ({"HOTLINE_DEMO": "1", "DATABASE_URL": POSTGRES}, "True hotline.notify.backends.OutboxBackend"),
    ({"HOTLINE_TESTING": "1"}, "True hotline.notify.backends.OutboxBackend"),
    ({}, "False hotline.notify.backends.OutboxBackend"),  # the demo's database: its own key
    ({"SECRET_KEY": "a-long-random-production-key"}, "False hotline.notify.backends.OutboxBackend"),
    ({"SECRET_KEY": "k", "EMAIL_HOST": "mail.example.com"}, "False hotline.notify.backends.SmtpBackend"),
])
def test_the_demo_tests_or_a_real_key_start(tmp_path: Path, env: dict[str, str], out: str) -> None:
    started = start(tmp_path, **env)
    assert (started.returncode, started.stdout.strip()) == (0, out), started.stderr


@pytest.mark.parametrize(("env", "message"), [
    ({"HOTLINE_BLACKLIST_THRESHOLD": "abc"}, "HOTLINE_BLACKLIST_THRESHOLD must be a whole number; got 'abc'"),
    ({"HOTLINE_BLACKLIST_THRESHOLD": "0"}, "HOTLINE_BLACKLIST_THRESHOLD must be at least 1; got '0'"),
    ({"HOTLINE_ATTRIBUTION_WINDOW_MINUTES": "half an hour"},
     "HOTLINE_ATTRIBUTION_WINDOW_MINUTES must be a whole number; got 'half an hour'"),
    ({"HOTLINE_ATTRIBUTION_WINDOW_MINUTES": "-5"}, "HOTLINE_ATTRIBUTION_WINDOW_MINUTES must be at least 0; got '-5'"),
    ({"EMAIL_PORT": "smtp"}, "EMAIL_PORT must be a whole number; got 'smtp'"),
    ({"HOTLINE_DEMO": "maybe"}, "HOTLINE_DEMO must be one of 1/0, true/false, yes/no, on/off; got 'maybe'"),
    ({"DATABASE_URL": "nosuchdb://somewhere/db"}, "DATABASE_URL is not a database URL Hotline understands: "),
])
def test_bad_values_fail_at_start_up_with_a_clear_message(tmp_path: Path, env: dict[str, str], message: str) -> None:
    started = start(tmp_path, **{"HOTLINE_TESTING": "1", **env})
    assert started.returncode != 0
    assert f"django.core.exceptions.ImproperlyConfigured: {message}" in started.stderr


def test_settings_values_come_from_the_environment(tmp_path: Path) -> None:
    code = ("import hotline.settings as s; print(s.HOTLINE_BLACKLIST_THRESHOLD, s.HOTLINE_ATTRIBUTION_WINDOW_MINUTES,"
            " s.TIME_ZONE, s.LANGUAGE_CODE, s.DATABASES['default']['ENGINE'])")
    started = start(tmp_path, code, HOTLINE_TESTING="1", HOTLINE_BLACKLIST_THRESHOLD="5",
                    HOTLINE_ATTRIBUTION_WINDOW_MINUTES="45")
    assert started.stdout.strip() == "5 45 Asia/Shanghai zh-hans django.db.backends.sqlite3", started.stderr
