"""Every endpoint as anonymous (401), as each role without the permission (403, nothing written) and with it (2xx).

The allowed roles are written out here from docs/permissions.md rather than read from the role
matrix, so that a change to the matrix has to be made on purpose in both places.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hotline.accounts.models import ApiToken
from hotline.accounts.permissions import ROLE_PERMS, Perm, Role
from tests.api.helpers import ApiClient, nothing_written, raw_token
from tests.conftest import ROLES

ALL = frozenset(ROLES)
CALL_TAKERS = frozenset({"agent", "supervisor", "admin"})
# calls.take_calls: the admin role does not grant it, but admins are superusers (docs/permissions.md).
PHONE_USERS = CALL_TAKERS


@dataclass(frozen=True)
class Endpoint:
    """One call to make: `path` and `body` are templates filled from the shop fixture."""

    method: str
    path: str
    perm: Perm
    allowed: frozenset[str]
    ok: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)

    def call(self, client: ApiClient, shop: SimpleNamespace) -> Any:
        names = {"customer": shop.customer.pk, "product": shop.product.pk, "airing": shop.airing.pk,
                 "order": shop.order.number, "delivered": shop.delivered.number}
        path = self.path.format(**names)
        if self.method == "get":
            return client.get(path, **{k: v.format(**names) for k, v in self.query.items()})
        body = {k: (v.format(**names) if isinstance(v, str) else v) for k, v in self.body.items()}
        if "customer_id" in body:
            body["customer_id"] = shop.customer.pk
        if "lines" in body:
            body["lines"] = [{"product_id": shop.product.pk, "quantity": 1}]
        return client.request(self.method, path, body)

    def __str__(self) -> str:
        detail = self.body.get("to", "")
        return f"{self.method.upper()} {self.path}{' ' + detail if detail else ''}"


ENDPOINTS = [
    Endpoint("get", "/api/customers", Perm.VIEW_CUSTOMER, ALL, query={"q": "王小明"}),
    Endpoint("get", "/api/customers/lookup", Perm.VIEW_CUSTOMER, ALL, query={"phone": "13800138000"}),
    Endpoint("get", "/api/customers/{customer}", Perm.VIEW_CUSTOMER, ALL),
    Endpoint("post", "/api/customers", Perm.ADD_CUSTOMER, CALL_TAKERS, 201,
             body={"name": "李丽", "phones": ["13900139000"]}),
    Endpoint("patch", "/api/customers/{customer}", Perm.CHANGE_CUSTOMER, CALL_TAKERS, body={"level": "vip"}),
    Endpoint("post", "/api/customers/{customer}/phones", Perm.CHANGE_CUSTOMER, CALL_TAKERS, 201,
             body={"number": "13700137000"}),
    Endpoint("post", "/api/customers/{customer}/addresses", Perm.CHANGE_CUSTOMER, CALL_TAKERS, 201,
             body={"text": "北京市朝阳区建国路1号"}),
    Endpoint("get", "/api/products", Perm.VIEW_PRODUCT, ALL),
    Endpoint("get", "/api/products/{product}", Perm.VIEW_PRODUCT, ALL),
    Endpoint("get", "/api/airings", Perm.VIEW_MEDIA, ALL - {"logistics"}),
    Endpoint("get", "/api/airings/{airing}", Perm.VIEW_MEDIA, ALL - {"logistics"}),
    Endpoint("post", "/api/orders", Perm.CREATE_ORDER, CALL_TAKERS, 201,
             body={"customer_id": 0, "lines": [], "address_text": "北京市朝阳区建国路1号"}),
    Endpoint("get", "/api/orders", Perm.VIEW_ORDER, ALL),
    Endpoint("get", "/api/orders/status", Perm.VIEW_ORDER, ALL, query={"number": "{order}"}),
    Endpoint("get", "/api/orders/{order}", Perm.VIEW_ORDER, ALL),
    Endpoint("put", "/api/orders/{order}", Perm.EDIT_ORDER, CALL_TAKERS | {"logistics"},
             body={"lines": [], "address_text": "北京市朝阳区建国路1号"}),
    Endpoint("post", "/api/orders/{order}/transitions", Perm.REVIEW_ORDER, frozenset({"logistics", "admin"}),
             body={"to": "reviewed"}),
    Endpoint("post", "/api/orders/{order}/transitions", Perm.CANCEL_ORDER, CALL_TAKERS | {"logistics"},
             body={"to": "cancelled", "reason": "客户改主意"}),
    Endpoint("post", "/api/orders/{delivered}/transitions", Perm.SETTLE_ORDER, frozenset({"finance", "admin"}),
             body={"to": "settled"}),
    Endpoint("post", "/api/orders/{delivered}/exchange", Perm.HANDLE_RETURN,
             frozenset({"supervisor", "logistics", "admin"}), 201, body={"reason": "尺码不合适"}),
    # No engine runs in these tests: an allowed command gets as far as finding none (503), or no such call (409).
    Endpoint("post", "/api/engine/agent/state", Perm.TAKE_CALLS, PHONE_USERS, 503, body={"state": "ready"}),
    Endpoint("post", "/api/engine/agent/logout", Perm.TAKE_CALLS, PHONE_USERS, 503),
    Endpoint("post", "/api/engine/agent/dial", Perm.TAKE_CALLS, PHONE_USERS, 503, body={"number": "13900139000"}),
    Endpoint("post", "/api/engine/calls/no-such-call/hold", Perm.TAKE_CALLS, PHONE_USERS, 409),
]
DENIED = {"detail": "You do not have permission to do this."}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_anonymous_caller_gets_401_and_nothing_is_written(shop, anonymous, endpoint):
    # given a caller without credentials
    with nothing_written():
        # when they call the endpoint
        response = endpoint.call(anonymous, shop)
    # then they are asked to authenticate
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication required: send “Authorization: Bearer <token>” or log in."}
    assert response["WWW-Authenticate"] == 'Bearer realm="hotline"'


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_each_role_is_allowed_or_refused_as_the_matrix_says(shop, as_role, endpoint, role):
    # given a token of a user with this role
    client = as_role(role)
    if role in endpoint.allowed:
        # when they call an endpoint their role allows, then it succeeds
        response = endpoint.call(client, shop)
        assert response.status_code == endpoint.ok, response.json()
    else:
        # when they call one it does not allow, then it is refused and nothing changes
        with nothing_written():
            response = endpoint.call(client, shop)
        assert (response.status_code, response.json()) == (403, DENIED)


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.allowed == ALL], ids=str)
def test_an_endpoint_every_role_may_use_is_refused_without_its_permission(shop, users, monkeypatch, endpoint):
    # given an agent whose role has lost the endpoint's permission (but may still use the API)
    monkeypatch.setitem(ROLE_PERMS, Role.AGENT, ROLE_PERMS[Role.AGENT] - {endpoint.perm})
    client = ApiClient(raw_token(users["agent"]))
    # when they call it
    with nothing_written():
        response = endpoint.call(client, shop)
    # then it is refused
    assert (response.status_code, response.json()) == (403, DENIED)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_a_role_without_api_access_is_refused_everywhere(shop, users, monkeypatch, endpoint):
    # given a supervisor whose role may do everything a supervisor does except use the API
    monkeypatch.setitem(ROLE_PERMS, Role.SUPERVISOR, ROLE_PERMS[Role.SUPERVISOR] - {Perm.USE_API})
    client = ApiClient(raw_token(users["supervisor"]))
    # when they call the endpoint
    with nothing_written():
        response = endpoint.call(client, shop)
    # then they are told their role may not use the API
    assert (response.status_code, response.json()) == (403, {"detail": "Your role may not use the API."})


@pytest.mark.parametrize("header", ["Bearer hl_not_a_token", "Bearer ", "Token abc", "Bearer " + "x" * 500])
def test_an_unknown_or_malformed_token_is_401(shop, header):
    # given a request with a token that is not ours
    client = ApiClient()
    client.headers["Authorization"] = header
    # when it reads customers, then it is not authenticated
    assert client.get("/api/customers").status_code == 401


def test_the_token_of_a_deactivated_user_is_401(shop, users):
    # given a token of an agent who has since left
    client = ApiClient(raw_token(users["agent"]))
    users["agent"].is_active = False
    users["agent"].save()
    # when it is used, then it no longer works
    assert client.get("/api/customers").status_code == 401


def test_using_a_token_records_when_at_most_once_a_minute(shop, users):
    # given a fresh token
    client = ApiClient(raw_token(users["agent"]))
    token = ApiToken.objects.get(user=users["agent"])
    assert token.last_used_at is None
    # when it is used twice in a row
    client.get("/api/customers")
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    client.get("/api/customers")
    # then its use is recorded once, with the time of the first request
    assert first is not None and timezone.now() - first < datetime.timedelta(seconds=60)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first


def test_a_logged_in_session_may_read_without_a_token(shop, users):
    # given an agent logged in to the site
    client = ApiClient()
    client.client.force_login(users["agent"])
    # when they read a customer, then they get it
    response = client.get(f"/api/customers/{shop.customer.pk}")
    assert (response.status_code, response.json()["name"]) == (200, "王小明")


def test_a_session_write_without_the_csrf_token_is_refused(shop, users):
    # given an agent logged in to the site, in a browser that enforces CSRF
    client = ApiClient(client=Client(enforce_csrf_checks=True))
    client.client.force_login(users["agent"])
    # when a page posts a customer without the CSRF token
    with nothing_written():
        response = client.post("/api/customers", {"name": "李丽", "phones": ["13900139000"]})
    # then it is refused
    assert (response.status_code, response.json()) == (
        403, {"detail": "CSRF check failed: reload the page and try again."})


def test_a_session_write_with_the_csrf_token_is_accepted(shop, users):
    # given an agent logged in, in a browser that enforces CSRF and holds the CSRF cookie
    client = ApiClient(client=Client(enforce_csrf_checks=True))
    client.client.force_login(users["agent"])
    client.client.cookies["csrftoken"] = "a" * 32
    # when the page sends the token back in the header
    response = client.post("/api/customers", {"name": "李丽", "phones": ["13900139000"]},
                           headers={"X-CSRFToken": "a" * 32})
    # then the customer is created
    assert (response.status_code, response.json()["name"]) == (201, "李丽")


def test_a_session_user_without_the_permission_is_refused(shop, users):
    # given a logistics clerk logged in to the site
    client = ApiClient()
    client.client.force_login(users["logistics"])
    # when they try to read airings, which their role may not see
    response = client.get("/api/airings")
    # then it is refused
    assert (response.status_code, response.json()) == (403, DENIED)
