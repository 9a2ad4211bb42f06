"""GET /healthz: 200 with version, database and engine status, for anyone; 503 without database."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client


def test_health_is_ok(db: Any, client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "version": "0.1.0",
        "database": {"status": "ok", "vendor": connection.vendor},
        "engine": {"status": "absent"},
    }


def test_health_reports_a_database_that_cannot_be_reached(db: Any, client: Client,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_cursor(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("could not connect to server")

    with monkeypatch.context() as patch:  # undone before the test database is torn down
        patch.setattr(connection, "cursor", broken_cursor)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "version": "0.1.0",
        "database": {"status": "error", "error": "could not connect to server"},
        "engine": {"status": "absent"},
    }


def test_health_needs_no_login_and_only_reads(db: Any, client: Client) -> None:
    assert client.post("/healthz").status_code == 200
