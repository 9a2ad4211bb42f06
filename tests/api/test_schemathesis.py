"""Property tests of the whole API with schemathesis: generated requests, valid and invalid, as an agent
and as an admin, must never get a 5xx, and every response must be one the OpenAPI document describes
(status, content type, body).

The app is the ASGI application uvicorn serves (`hotline.asgi`: Channels' router, Django's ASGI handler,
every middleware), called in this process. Its views run in Django's own thread, on their own database
connection, so the test data is committed (`transaction=True`), on SQLite and on PostgreSQL alike. The run
is bounded and repeatable: a fixed seed (`derandomize`), the schema's boundary cases (schemathesis's
coverage phase: limits, null, empty and oversized strings, malformed bodies) and a fixed number of
generated cases per operation.

Not checked: that every schema-valid request is accepted (schemathesis's positive_data_acceptance). Many
refusals are business rules a schema cannot state (an order for a customer who does not exist, a status
change the lifecycle forbids) and are 422 by design.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hotline.api.urls import api
from hotline.asgi import application

CASES_PER_OPERATION = 20
DOCUMENTED = [status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api"))
schema.app = application
pytestmark = pytest.mark.django_db(transaction=True)  # the views' thread must see the shop and the tokens
# Without a running engine, engine commands answer the documented 503 "engine not reachable", which is a
# 5xx by design; they are checked for the rest (documented statuses and bodies), and against a live
# engine in test_engine.py.
business = schema.exclude(tag="telephony")
telephony = schema.include(tag="telephony")


@pytest.fixture(params=["agent", "admin"])
def token_headers(request: Any, shop: Any, as_role: Any, settings: Any) -> dict[str, str]:
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
