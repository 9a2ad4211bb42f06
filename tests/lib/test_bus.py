"""The in-process event bus: delivery after commit only, and a failing listener stops no one."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from hotline.lib import bus


@pytest.fixture
def seen() -> Any:
    received: list[tuple[str, dict[str, Any]]] = []

    def listener(topic: str, payload: dict[str, Any]) -> None:
        received.append((topic, payload))

    bus.subscribe("t.test", listener)
    yield received
    bus.unsubscribe("t.test", listener)


def test_publish_on_commit_waits_for_the_commit(db: Any, seen: list[Any],
                                                django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        bus.publish_on_commit("t.test", {"n": 1})
        assert seen == []
    assert len(callbacks) == 1
    assert seen == [("t.test", {"n": 1})]


def test_nothing_is_published_for_a_rolled_back_write(db: Any, seen: list[Any],
                                                      django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError), \
            transaction.atomic():
        bus.publish_on_commit("t.test", {"n": 1})
        raise RuntimeError("rolled back")
    assert (callbacks, seen) == ([], [])


def test_a_failing_listener_does_not_stop_the_others(seen: list[Any]) -> None:
    def broken(topic: str, payload: dict[str, Any]) -> None:
        raise ValueError("broken listener")

    bus.subscribe("t.test", broken)
    try:
        bus.publish("t.test", {"n": 2})
    finally:
        bus.unsubscribe("t.test", broken)
    assert seen == [("t.test", {"n": 2})]
