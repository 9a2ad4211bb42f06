"""Typed environment variables: defaults when unset, clear start-up errors when unparseable."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from hotline.lib.config import env_bool, env_int, env_str


@pytest.mark.parametrize(("raw", "value"), [
    ("1", True), ("true", True), ("YES", True), (" on ", True),
    ("0", False), ("false", False), ("No", False), ("off", False), ("", False),
])
def test_env_bool(monkeypatch: pytest.MonkeyPatch, raw: str, value: bool) -> None:
    monkeypatch.setenv("HOTLINE_X", raw)
    assert env_bool("HOTLINE_X", not value) is value


def test_env_bool_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOTLINE_X", raising=False)
    assert env_bool("HOTLINE_X", True) is True


@pytest.mark.parametrize("raw", ["maybe", "2", "y"])
def test_env_bool_refuses_anything_else(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("HOTLINE_X", raw)
    with pytest.raises(ImproperlyConfigured) as refused:
        env_bool("HOTLINE_X", False)
    assert str(refused.value) == f"HOTLINE_X must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"


@pytest.mark.parametrize(("raw", "value"), [("5", 5), (" 7 ", 7), ("-2", -2), ("", 3)])
def test_env_int(monkeypatch: pytest.MonkeyPatch, raw: str, value: int) -> None:
    monkeypatch.setenv("HOTLINE_X", raw)
    assert env_int("HOTLINE_X", 3) == value


def test_env_int_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOTLINE_X", raising=False)
    assert env_int("HOTLINE_X", 30) == 30


@pytest.mark.parametrize("raw", ["abc", "3.5", "1e3", "三"])
def test_env_int_refuses_what_is_not_a_whole_number(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("HOTLINE_X", raw)
    with pytest.raises(ImproperlyConfigured) as refused:
        env_int("HOTLINE_X", 3)
    assert str(refused.value) == f"HOTLINE_X must be a whole number; got {raw!r}"


def test_env_int_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_X", "0")
    with pytest.raises(ImproperlyConfigured) as refused:
        env_int("HOTLINE_X", 3, minimum=1)
    assert str(refused.value) == "HOTLINE_X must be at least 1; got '0'"
    monkeypatch.setenv("HOTLINE_X", "1")
    assert env_int("HOTLINE_X", 3, minimum=1) == 1


def test_env_str(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOTLINE_X", raising=False)
    assert env_str("HOTLINE_X", "default") == "default"
    monkeypatch.setenv("HOTLINE_X", "")
    assert env_str("HOTLINE_X", "default") == ""
