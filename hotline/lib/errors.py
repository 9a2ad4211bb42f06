"""One shape for a refused request, shared by the desk's JSON endpoints and the REST API (the API's table of
statuses is in `hotline.api.errors`):

- invalid input: 422 `{"errors": {"field": ["message", ...]}}`; `__all__` holds messages about the request as a
  whole, nested fields are dotted (`lines.0.quantity`, `new_customer.phone`);
- any other refusal (not logged in, not allowed, not found): `{"detail": "message"}`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import JsonResponse

INVALID = 422


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    """The messages of a ValidationError by field; one without fields is about the request as a whole."""
    if hasattr(exc, "error_dict"):
        return {field: [str(message) for message in ValidationError(errors).messages]
                for field, errors in exc.error_dict.items()}
    return {NON_FIELD_ERRORS: [str(message) for message in exc.messages]}


def invalid_body(exc: ValidationError) -> dict[str, Any]:
    return {"errors": field_errors(exc)}


def refusal_body(message: object) -> dict[str, Any]:
    return {"detail": str(message)}


def invalid_response(exc: ValidationError) -> JsonResponse:
    """422 with the messages per field."""
    return JsonResponse(invalid_body(exc), status=INVALID)


def refusal_response(message: object, status: int) -> JsonResponse:
    """A refusal that is not about a field (401, 403, 404…), in words."""
    return JsonResponse(refusal_body(message), status=status)
