"""How big a request body an endpoint reads: a larger one is refused with 413 before it is parsed.

Parsing is what costs: 200,000 order lines (6.6 MB) took seconds of JSON and schema work before the
422 that refused them, and three at once slowed every other request. The limits are a few times the
largest body a real client sends (an order of the maximum lines with every text field full).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _

SMALL_BODY = 16 * 1024  # a status change, a phone number, an engine command
ORDER_BODY = 64 * 1024  # 50 lines, address, notes and invoice fields, escaped JSON
CUSTOMER_BODY = 64 * 1024  # 4,000 characters of notes escaped as \uXXXX are 24 KB


def body_size(request: HttpRequest) -> int:
    """The declared length of the body; without one (a chunked upload) the length of the body as read,
    which costs a copy of bytes but not the parsing the limit is there to spare."""
    declared = request.META.get("CONTENT_LENGTH")
    if not declared:
        return len(request.body)
    try:
        return int(declared)
    except ValueError:
        return 0


def body_limit(max_bytes: int) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """For `ninja.decorators.decorate_view`: refuse a body over `max_bytes` with 413 before ninja reads it.

    With a Content-Length nothing is read; a body sent without one (chunked) is read, then measured.
    """

    def decorator(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(run)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if body_size(request) > max_bytes:
                api = run.__self__.api  # type: ignore[attr-defined]
                return api.create_response(request, {"detail": _(
                    "The request body is too large: at most %(limit)d bytes.") % {"limit": max_bytes}},
                    status=413)
            return run(request, *args, **kwargs)

        return checked

    return decorator
