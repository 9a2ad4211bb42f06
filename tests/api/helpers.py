"""API test helpers: a JSON client with a bearer token, orders made through the real actions, and a
check that a refused request wrote nothing."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client

from hotline.accounts.models import ApiToken, User
from hotline.orders.actions import LineInput, OrderInput, do_create_order, do_transition_order
from hotline.orders.models import Order


def raw_token(user: User) -> str:
    """Give the user an API token (as `hotline apitoken` does) and return its raw value."""
    raw = f"hl_test_{user.username}_{user.pk}"
    ApiToken.objects.create(user=user, name="tests", key_hash=ApiToken.hash_key(raw), prefix=raw[:8])
    return raw


class ApiClient:
    """Django's test client speaking JSON to /api/, as one user (or anonymously), in English by default."""

    def __init__(self, token: str | None = None, language: str = "en", client: Client | None = None) -> None:
        self.client = client or Client()
        self.headers: dict[str, str] = {"Accept-Language": language} if language else {}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                **query: Any) -> Any:
        send = getattr(self.client, method.lower())
        all_headers = {**self.headers, **(headers or {})}
        if method.lower() == "get":
            return send(path, data=query, headers=all_headers)
        return send(path, data=body if body is not None else {}, content_type="application/json",
                    headers=all_headers)

    def get(self, path: str, **query: Any) -> Any:
        return self.request("get", path, **query)

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.request("post", path, body, headers)

    def patch(self, path: str, body: Any = None) -> Any:
        return self.request("patch", path, body)

    def put(self, path: str, body: Any = None) -> Any:
        return self.request("put", path, body)


def place_order(world: SimpleNamespace, actor: Any, quantity: int = 2, **fields: Any) -> Order:
    """An order through the real action (setup, not under test): 2 of the world's product by default."""
    fields = {"address_text": "广东省深圳市南山区科技园南路18号", "hotline_number": "4008001000", **fields}
    data = OrderInput(customer_id=world.customer.pk, lines=[LineInput(world.product.pk, quantity)], **fields)
    order, _created = do_create_order(data, actor=actor)
    return order


def advance(order: Order, *statuses: str) -> Order:
    """Move an order through `statuses` as the system (no permission checks; setup, not under test)."""
    for status in statuses:
        order = do_transition_order(order, status, actor=None, reason="setup")
    return order


def iso(moment: datetime.datetime) -> str:
    """A datetime as the API writes it (UTC, milliseconds)."""
    return str(DjangoJSONEncoder().default(moment.astimezone(datetime.UTC)))


def _counts() -> dict[str, int]:
    hotline_models = [m for m in apps.get_models() if m.__module__.startswith("hotline.")]
    return {m._meta.label: m._default_manager.count() for m in hotline_models}


@contextmanager
def nothing_written() -> Iterator[None]:
    """Assert that no row was added or removed in any Hotline table (orders, customers, audit log…)."""
    before = _counts()
    yield
    after = _counts()
    assert {k: (before[k], v) for k, v in after.items() if before[k] != v} == {}
