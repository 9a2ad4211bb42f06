"""The OpenAPI document lists every endpoint with its schemas, security and error responses."""

from __future__ import annotations

import pytest
from django.test import Client

EXPECTED = {
    "/api/customers": {"get", "post"},
    "/api/customers/lookup": {"get"},
    "/api/customers/{customer_id}": {"get", "patch"},
    "/api/customers/{customer_id}/phones": {"post"},
    "/api/customers/{customer_id}/addresses": {"post"},
    "/api/products": {"get"},
    "/api/products/{product_id}": {"get"},
    "/api/airings": {"get"},
    "/api/airings/{airing_id}": {"get"},
    "/api/orders": {"get", "post"},
    "/api/orders/status": {"get"},
    "/api/orders/{number}": {"get", "put"},
    "/api/orders/{number}/transitions": {"post"},
    "/api/orders/{number}/exchange": {"post"},
    "/api/engine/agent/login": {"post"},
    "/api/engine/agent/logout": {"post"},
    "/api/engine/agent/state": {"post"},
    "/api/engine/agent/dial": {"post"},
    "/api/engine/agent/wrapup/extend": {"post"},
    "/api/engine/calls/{call_id}/hangup": {"post"},
    "/api/engine/calls/{call_id}/hold": {"post"},
    "/api/engine/calls/{call_id}/resume": {"post"},
    "/api/engine/calls/{call_id}/transfer": {"post"},
    "/api/engine/calls/{call_id}/monitor": {"post"},
    "/api/engine/calls/{call_id}/consult": {"post"},
    "/api/engine/calls/{call_id}/consult/complete": {"post"},
    "/api/engine/calls/{call_id}/consult/cancel": {"post"},
    "/api/engine/calls/{call_id}/pickup": {"post"},
    "/api/engine/monitor/stop": {"post"},
    "/api/callbacks": {"get"},
    "/api/voicemails": {"get"},
    "/api/voicemails/{voicemail_id}/handle": {"post"},
    "/api/complaints": {"get", "post"},
    "/api/complaints/{complaint_id}": {"get"},
    "/api/complaints/{complaint_id}/steps": {"post"},
    "/api/logistics/events": {"post"},
}
# Couriers push tracking events with their key and an HMAC signature of the body, never as a user: a bad
# key or signature is 401, and no permission is checked (so there is no 403).
COURIER_PUSH = "POST /api/logistics/events"


@pytest.fixture(scope="module")
def document():  # type: ignore[no-untyped-def]
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_every_endpoint_is_listed(document):
    assert {path: set(ops) for path, ops in document["paths"].items()} == EXPECTED


def test_every_operation_is_described_secured_and_documents_its_refusals(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation["description"], where
            assert {"200", "201"} & set(operation["responses"]), where
            if where == COURIER_PUSH:
                assert operation["security"] == [{"CourierSignature": []}], where
                assert "401" in operation["responses"], where
            else:
                assert operation["security"] == [{"BearerToken": []}, {"DeskSession": []}], where
                assert {"401", "403"} <= set(operation["responses"]), where
            # anything the client sends beyond a free-text path segment can be invalid
            parameters = [p for p in operation.get("parameters", []) if p["schema"].get("type") != "string"]
            if "requestBody" in operation or parameters:
                assert "422" in operation["responses"], where


def test_security_schemes_are_a_bearer_token_the_session_cookie_and_the_courier_key(document):
    assert document["components"]["securitySchemes"] == {
        "BearerToken": {"type": "http", "scheme": "bearer"},
        "DeskSession": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
        "CourierSignature": {"type": "apiKey", "in": "header", "name": "X-Courier-Key"}}


def test_fields_some_roles_may_not_see_are_optional_in_the_schemas(document):
    schemas = document["components"]["schemas"]
    assert "cost" not in schemas["ProductOut"]["required"]
    assert "cost" not in schemas["AiringOut"]["required"]
    assert not {"settled_at", "settled_amount"} & set(schemas["OrderOut"]["required"])
    assert {"lines", "totals", "attribution", "history"} <= set(schemas["OrderOut"]["required"])


def test_input_limits_are_documented(document):
    line = document["components"]["schemas"]["LineIn"]["properties"]["quantity"]
    notes = document["components"]["schemas"]["OrderIn"]["properties"]["notes"]
    assert (line["minimum"], line["maximum"], notes["maxLength"]) == (1, 999, 1000)
    create = document["paths"]["/api/orders"]["post"]
    assert create["parameters"][0]["name"] == "Idempotency-Key"
    assert create["parameters"][0]["schema"]["anyOf"][0]["maxLength"] == 100


def test_the_interactive_docs_page_is_served(db):
    response = Client().get("/api/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
