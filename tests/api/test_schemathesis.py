"""Property tests of the whole API with schemathesis: generated requests, valid and invalid, as an agent
and as an admin, must never get a 5xx, and every response must be one the OpenAPI document describes
(status, content type, body).

The app is Django's WSGI handler in this process: the ASGI app runs the same views through the same
middleware, and in-process WSGI keeps each request on the test's database connection and transaction, on
SQLite and on PostgreSQL alike. The run is bounded and repeatable: a fixed seed (`derandomize`), the
schema's boundary cases (schemathesis's coverage phase: 2^63, 0001-01-01, null, …) and a fixed number
of generated cases per operation.

Not checked: that every schema-valid request is accepted (schemathesis's positive_data_acceptance). Many
refusals are business rules a schema cannot state (an order for a customer who does not exist, a status
change the lifecycle forbids) and are 422 by design.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hotline.api.urls import api

CASES_PER_OPERATION = 20
DOCUMENTED = [status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api"))
schema.app = get_wsgi_application()
# Without a running engine, engine commands answer the documented 503 "engine not reachable", which is a
# 5xx by design; they are checked for the rest (documented statuses and bodies), and against a live
# engine in test_engine.py.
business = schema.exclude(tag="telephony")
telephony = schema.include(tag="telephony")


@pytest.fixture
def wsgi_in_test_transaction() -> Iterator[None]:
    """Keep the test's connection open across requests, as Django's test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=["agent", "admin"])
def token_headers(request: Any, shop: Any, as_role: Any, settings: Any, wsgi_in_test_transaction: None,
                  ) -> dict[str, str]:
    """A bearer token of the least and of the most privileged role, over a shop with orders in it."""
    settings.REDIS_URL = ""  # engine commands answer 503 at once instead of waiting for a reply
    return dict(as_role(request.param).headers)


BOUNDED = settings(max_examples=CASES_PER_OPERATION, derandomize=True, deadline=None, database=None,
                   suppress_health_check=list(HealthCheck))


@business.parametrize()
@BOUNDED
def test_no_server_error_and_every_response_as_documented(case: Any, token_headers: dict[str, str]) -> None:
    case.call_and_validate(headers=token_headers, checks=[not_a_server_error, *DOCUMENTED])


@telephony.parametrize()
@BOUNDED
def test_engine_commands_answer_as_documented(case: Any, token_headers: dict[str, str]) -> None:
    case.call_and_validate(headers=token_headers, checks=DOCUMENTED)
