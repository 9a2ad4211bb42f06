"""The courier push API: couriers and city delivery partners (落地配) send tracking events as they happen.

`POST /api/logistics/events` with the courier's key in `X-Courier-Key` and
`X-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the courier's secret>`. A missing or wrong
key or signature is 401, logged on `hotline.security` and in the audit log. Each event is recorded once:
the same (courier, tracking number, event, time) again — a retry, a replayed body — answers "duplicate" and
changes nothing. Events are checked and recorded by `do_apply_feedback`, the action the feedback files use,
so a pushed event does exactly what the same row of a file does. Requests are limited per courier.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import logging
from typing import Any, Literal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.errors import HttpError
from ninja.security import APIKeyHeader
from pydantic import field_validator

from hotline.accounts.throttle import client_address
from hotline.api.errors import ErrorOut, FieldErrorsOut
from hotline.api.limits import body_limit
from hotline.logistics.actions import FeedbackEvent, FeedbackResult, do_apply_feedback, normal_tracking_number
from hotline.logistics.actions.feedback import Issue, Problem, do_record_push_refusal
from hotline.logistics.models import Courier, EventKind, EventSource

router = Router(tags=["logistics"])
security_log = logging.getLogger("hotline.security")

MAX_EVENTS = 500
PUSH_BODY = 256 * 1024  # 500 events with full details, escaped
PER_MINUTE = 120  # requests per courier; settings.HOTLINE_COURIER_PUSH_PER_MINUTE overrides

EventName = Literal["picked_up", "in_transit", "out", "delivered", "refused", "unreachable", "held", "address",
                    "returning", "returned", "lost"]


class CourierSignature(APIKeyHeader):
    """`X-Courier-Key` names the courier; `X-Signature: sha256=<hex>` proves the body came from it."""

    param_name = "X-Courier-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Courier:
        key = (key or "")[:100]
        courier = Courier.objects.filter(api_key=key, active=True).first() if key else None
        given = request.headers.get("X-Signature", "")
        if courier is None or not courier.api_secret:
            _refuse(request, None if courier is None else courier, key, "unknown key" if courier is None
                    else "no secret")
        assert courier is not None
        expected = "sha256=" + hmac.new(courier.api_secret.encode(), request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), given.strip().lower().encode()):
            _refuse(request, courier, key, "bad signature" if given else "no signature")
        return courier


def _refuse(request: HttpRequest, courier: Courier | None, key: str, reason: str) -> None:
    address = client_address(request)
    security_log.warning("courier push refused: %s (key %r, courier %s, from %s)", reason, key[:40],
                         courier.code if courier else "-", address)
    do_record_push_refusal(courier=courier, key=key, address=address, reason=reason)
    raise HttpError(401, _("Send the courier key in X-Courier-Key and the body's HMAC-SHA256 signature in "
                           "X-Signature (sha256=<hex>)."))


class PushEventIn(Schema):
    """One tracking event. `at` is when it happened, ISO 8601 with its offset (`2026-12-01T10:30:00+08:00`)."""

    tracking_number: str = Field(min_length=1, max_length=60, examples=["1180245367890"])
    event: EventName = Field(description="picked_up, in_transit, out (for delivery), delivered, refused, "
                                         "unreachable, held, address (changed), returning, returned or lost")
    at: datetime.datetime = Field(examples=["2026-12-01T10:30:00+08:00"])
    detail: str = Field("", max_length=200, description="the refusal reason, the depot, the new address…",
                        examples=["客户拒收：不想要了"])

    @field_validator("at")
    @classmethod
    def _with_offset(cls, value: datetime.datetime) -> datetime.datetime:
        if timezone.is_naive(value):
            raise ValueError(_("Give the time with its offset, e.g. 2026-12-01T10:30:00+08:00."))
        return value


class PushIn(Schema):
    """Up to 500 events, of any of the courier's parcels, in the order they happened."""

    events: list[PushEventIn] = Field(min_length=1, max_length=MAX_EVENTS)


class PushResultOut(Schema):
    """What became of one event, by its place in the request. `status`: 200 recorded or duplicate (already
    on file, nothing changed), 409 conflict (the parcel's state does not allow it), 422 unknown (no parcel of
    yours has this tracking number)."""

    index: int
    tracking_number: str
    event: str
    status: int = Field(examples=[200])
    result: Literal["recorded", "duplicate", "conflict", "unknown"]
    detail: str = ""


class PushOut(Schema):
    """Counts, then one result per event sent."""

    model_config = {"json_schema_extra": {"examples": [{
        "recorded": 1, "duplicates": 1, "rejected": 1, "results": [
            {"index": 0, "tracking_number": "1180245367890", "event": "delivered", "status": 200,
             "result": "recorded", "detail": ""},
            {"index": 1, "tracking_number": "1180245367890", "event": "delivered", "status": 200,
             "result": "duplicate", "detail": "The same event as line 0."},
            {"index": 2, "tracking_number": "9999999999", "event": "refused", "status": 422, "result": "unknown",
             "detail": "No parcel has the tracking number 9999999999."}]}]}}

    recorded: int
    duplicates: int
    rejected: int
    results: list[PushResultOut]


_RESULTS: dict[str, tuple[int, str]] = {
    Problem.DUPLICATE: (200, "duplicate"), Problem.RECORDED: (200, "duplicate"), Problem.CONFLICT: (409, "conflict"),
    Problem.UNKNOWN: (422, "unknown"), Problem.MISMATCH: (422, "unknown"), Problem.COURIER: (422, "unknown"),
    Problem.MALFORMED: (422, "unknown"),
}


def _over_limit(courier: Courier) -> bool:
    """A fixed one-minute window per courier, counted in the cache (shared by the web processes with Redis)."""
    limit = getattr(settings, "HOTLINE_COURIER_PUSH_PER_MINUTE", PER_MINUTE)
    key = f"courier-push:{courier.pk}:{int(timezone.now().timestamp() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        return cache.incr(key) > limit
    except ValueError:  # the window expired between add and incr
        return False


def _events(payload: PushIn, result: FeedbackResult) -> list[FeedbackEvent]:
    events = []
    for index, item in enumerate(payload.events):
        try:
            tracking = normal_tracking_number(item.tracking_number)
        except ValidationError:
            result.add_problem(_unknown(index, item.tracking_number))
            continue
        events.append(FeedbackEvent(index, tracking, EventKind(item.event), item.at, item.detail))
    return events


def _unknown(index: int, tracking: str) -> Issue:
    return Issue(index, tracking[:60], Problem.UNKNOWN,
                 _("No parcel has the tracking number %(tracking)s.") % {"tracking": tracking[:60]})


@router.post("/events", auth=CourierSignature(), response={200: PushOut, 401: ErrorOut, 413: ErrorOut,
                                                            422: FieldErrorsOut, 429: ErrorOut},
             summary="Push tracking events (couriers)", openapi_extra={"parameters": [{
                 "in": "header", "name": "X-Signature", "required": True, "schema": {"type": "string"},
                 "description": "sha256=<hex HMAC-SHA256 of the raw body, keyed with the courier's secret>"}],
                 "requestBody": {"content": {
                 "application/json": {"example": {"events": [
                     {"tracking_number": "1180245367890", "event": "delivered", "at": "2026-12-01T10:30:00+08:00",
                      "detail": "本人签收"},
                     {"tracking_number": "1180245367906", "event": "refused", "at": "2026-12-01T11:05:00+08:00",
                      "detail": "客户拒收：不想要了"}]}}}}})
@decorate_view(body_limit(PUSH_BODY))
def push_events(request: HttpRequest, payload: PushIn, response: HttpResponse) -> Any:
    """Record a courier's tracking events. Authenticated by `X-Courier-Key` and `X-Signature` (HMAC-SHA256 of
    the raw body with the courier's secret, hex, prefixed `sha256=`). Each (tracking number, event, time) is
    recorded once: sending it again answers `duplicate` and changes nothing. Delivered makes the order 已交付
    (points credited), refused makes it 拒收 with `detail` as the reason and asks an agent to call the
    customer. At most 500 events a request; requests are limited per courier (429 with Retry-After)."""
    courier: Courier = request.auth  # type: ignore[attr-defined]
    if _over_limit(courier):
        response["Retry-After"] = "60"
        return Status(429, {"detail": _("Too many requests from this courier; wait a minute and send again.")})
    result = FeedbackResult(outcomes={})
    events = _events(payload, result)
    result = do_apply_feedback(events, actor=None, source=EventSource.PUSH, courier=courier, good_rows=True,
                               result=result)
    return Status(200, _answer(payload, result))


def _answer(payload: PushIn, result: FeedbackResult) -> dict[str, Any]:
    outcomes = result.outcomes or {}
    results, counts = [], {"recorded": 0, "duplicates": 0, "rejected": 0}
    for index, item in enumerate(payload.events):
        issue = outcomes.get(index)
        status, word = _RESULTS[issue.kind] if issue else (200, "recorded")
        counts["recorded" if word == "recorded" else "duplicates" if word == "duplicate" else "rejected"] += 1
        results.append({"index": index, "tracking_number": item.tracking_number, "event": item.event,
                        "status": status, "result": word, "detail": issue.message if issue else ""})
    return {**counts, "results": results}
