"""One mapping, for every endpoint, from what went wrong to what the client gets back.

| raised                                         | status | body                                          |
|------------------------------------------------|--------|-----------------------------------------------|
| no or unknown credentials                      | 401    | `{"detail": ...}` and `WWW-Authenticate`       |
| `PermissionDenied` (auth check or an action)   | 403    | `{"detail": ...}`                              |
| `Http404`                                      | 404    | `{"detail": ...}`                              |
| `DuplicateCustomer`                            | 409    | `{"detail", "errors", "existing_customer_id"}` |
| Django `ValidationError` (from an action)      | 422    | `{"errors": {"field": ["message", ...]}}`      |
| schema validation (wrong type, range, enum)    | 422    | the same shape                                 |
| `ControlError` (the engine refused a command)  | 409    | `{"detail", "code"}`                           |
| `EngineUnavailable` (no engine answered)       | 503    | `{"detail": ...}` and `Retry-After`            |

The desk's JSON endpoints answer in the same shapes (`hotline.lib.errors`, which builds the bodies here too).
Schema errors are worded with Django's own validation messages, so they are already translated
in both shipped languages; actions' messages are translated where they are raised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pydantic
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError
from ninja.parser import Parser
from pydantic_core import ErrorDetails

from hotline.calls.commands import refusal_message
from hotline.calls.host.link import EngineUnavailable
from hotline.crm.actions import DuplicateCustomer
from hotline.lib.errors import field_errors, invalid_body, refusal_body
from hotline.lib.phones import normalize_phone
from hotline.telephony.control import ControlError

# ---------------------------------------------------------------- response schemas


class ErrorOut(Schema):
    """A refusal that is not about one field: not logged in, not allowed, not found."""

    detail: str


class FieldErrorsOut(Schema):
    """Invalid input: messages per field. `__all__` holds messages about the request as a whole;
    nested fields are dotted (`lines.0.quantity`)."""

    errors: dict[str, list[str]]


class RefusedOut(Schema):
    """The telephony engine refused a command; `code` says why in a stable word (see calls.commands)."""

    detail: str
    code: str


class DuplicateOut(Schema):
    """The phone number already belongs to a customer; `existing_customer_id` names them."""

    detail: str
    errors: dict[str, list[str]]
    existing_customer_id: int


def responses(*statuses: int) -> dict[int, type[Schema]]:
    """The error responses an endpoint documents, besides 401 and 403 which every endpoint has."""
    known: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: DuplicateOut,
                                      422: FieldErrorsOut, 503: ErrorOut}
    return {status: known[status] for status in (401, 403, *statuses)}


# ---------------------------------------------------------------- schema errors in Django's words


def _too_long(ctx: dict[str, Any], value: Any) -> str:
    limit, length = ctx.get("max_length", 0), len(value) if isinstance(value, str) else 0
    return ngettext("Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
                    "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
                    limit) % {"limit_value": limit, "show_value": length}


def _too_short(ctx: dict[str, Any], value: Any) -> str:
    limit, length = ctx.get("min_length", 0), len(value) if isinstance(value, str) else 0
    return ngettext("Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
                    "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
                    limit) % {"limit_value": limit, "show_value": length}


def _too_many(ctx: dict[str, Any], value: Any) -> str:
    return _("Send at most %(max)d items.") % {"max": ctx.get("max_length", 0)}


def _choice(ctx: dict[str, Any], value: Any) -> str:
    return _("Select a valid choice. %(value)s is not one of the available choices.") % {"value": value}


def _bool(ctx: dict[str, Any], value: Any) -> str:
    return _("“%(value)s” value must be either True or False.") % {"value": value}


def _at_least(ctx: dict[str, Any], value: Any) -> str:
    return _("Ensure this value is greater than or equal to %(limit_value)s.") % {"limit_value": ctx.get("ge")}


def _at_most(ctx: dict[str, Any], value: Any) -> str:
    return _("Ensure this value is less than or equal to %(limit_value)s.") % {"limit_value": ctx.get("le")}


def _decimal_places(ctx: dict[str, Any], value: Any) -> str:
    places = ctx.get("decimal_places", 2)
    return ngettext("Ensure that there are no more than %(max)s decimal place.",
                    "Ensure that there are no more than %(max)s decimal places.", places) % {"max": places}


def _pattern(ctx: dict[str, Any], value: Any) -> str:
    # Phone numbers are the only fields with a pattern: say what is wrong with the number, as the
    # screens do, rather than quote the regular expression.
    try:
        normalize_phone(value)
    except ValidationError as exc:
        return str(exc.messages[0])
    return _("Enter a valid value.")


def _digits(ctx: dict[str, Any], value: Any) -> str:
    digits = ctx.get("max_digits", 12)
    return ngettext("Ensure that there are no more than %(max)s digit in total.",
                    "Ensure that there are no more than %(max)s digits in total.", digits) % {"max": digits}


def _whole_digits(ctx: dict[str, Any], value: Any) -> str:
    digits = ctx.get("whole_digits", 10)
    return ngettext("Ensure that there are no more than %(max)s digit before the decimal point.",
                    "Ensure that there are no more than %(max)s digits before the decimal point.",
                    digits) % {"max": digits}


def _fixed(message: str | Promise) -> Callable[[dict[str, Any], Any], str]:
    return lambda ctx, value: str(message)


_WHOLE_NUMBER = _fixed(_lazy("Enter a whole number."))
_NUMBER = _fixed(_lazy("Enter a number."))
_DATE = _fixed(_lazy("Enter a valid date."))
_DATETIME = _fixed(_lazy("Enter a valid date/time."))
_VALUE = _fixed(_lazy("Enter a valid value."))

# pydantic's error type -> the Django message that says the same thing (Django ships its translations).
_MESSAGES: dict[str, Callable[[dict[str, Any], Any], str]] = {
    "missing": _fixed(_lazy("This field is required.")),
    "extra_forbidden": _fixed(_lazy("Unknown field.")),
    "int_type": _WHOLE_NUMBER, "int_parsing": _WHOLE_NUMBER, "int_from_float": _WHOLE_NUMBER,
    "float_type": _NUMBER, "float_parsing": _NUMBER, "decimal_type": _NUMBER, "decimal_parsing": _NUMBER,
    "finite_number": _NUMBER, "decimal_max_places": _decimal_places, "decimal_max_digits": _digits,
    "decimal_whole_digits": _whole_digits,
    "bool_type": _bool, "bool_parsing": _bool,
    "date_type": _DATE, "date_parsing": _DATE, "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "datetime_type": _DATETIME, "datetime_parsing": _DATETIME, "datetime_from_date_parsing": _DATETIME,
    "enum": _choice, "literal_error": _choice,
    "greater_than_equal": _at_least, "less_than_equal": _at_most,
    "string_pattern_mismatch": _pattern,
    "string_too_long": _too_long, "string_too_short": _too_short, "too_long": _too_many,
    "list_type": _fixed(_lazy("Enter a list of values.")),
    "string_type": _VALUE, "model_type": _VALUE, "model_attributes_type": _VALUE, "dict_type": _VALUE,
}  # fmt: skip


def schema_message(error: ErrorDetails) -> str:
    """A translated message for one pydantic error. Our own validators raise `PydanticCustomError`
    with an already translated message, which is used as it is."""
    explain = _MESSAGES.get(error["type"])
    if explain is None:
        return error["msg"]
    return explain(dict(error.get("ctx") or {}), error.get("input"))


def field_key(loc: tuple[int | str, ...]) -> str:
    """`("body", "payload", "lines", 0, "quantity")` -> `lines.0.quantity`; the request as a whole is `__all__`.

    The first element is where ninja read the value (body, query, path, header), then for a body
    comes the name of the view's parameter, which means nothing to the client.
    """
    source, *rest = loc
    if source == "body" and rest:
        rest = rest[1:]
    return ".".join(str(part) for part in rest) or NON_FIELD_ERRORS


def _client_loc(model: Any, loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """Where the client put the value: ninja nests query and header fields under the view's parameter
    name (`filters.status`), but the client sent them flat (`?status=`)."""
    flattened = {path[0] for path in getattr(model, "__ninja_flatten_map__", {}).values() if len(path) > 1}
    if loc in model.__ninja_flatten_map_reverse__:
        return tuple(model.__ninja_flatten_map_reverse__[loc])
    if loc and loc[0] in flattened:  # a check across the fields of a query schema
        return loc[1:]
    return loc


_ERROR_REF = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
_FIELD_ERRORS_REF = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/FieldErrorsOut"}}}}


def document_input_errors(operation: dict[str, Any]) -> None:
    """Add the statuses any endpoint that reads input can answer, so that a client (and schemathesis)
    finds every status it may get in the document: 400 unparsable JSON, 413 a body over the endpoint's
    limit, 422 a parameter or body field out of bounds."""
    answers = operation.setdefault("responses", {})
    # ninja keys the declared statuses by int: "422" beside 422 would be a duplicate key in the JSON, which
    # Swagger UI's parser refuses (/api/docs showed nothing).
    documented = {str(status) for status in answers}

    def add(status: str, answer: dict[str, Any]) -> None:
        if status not in documented:
            answers[status] = answer

    if "requestBody" in operation:
        add("400", {"description": "The body is not valid JSON", **_ERROR_REF})
        add("413", {"description": "The body is over this endpoint's size limit", **_ERROR_REF})
    if "requestBody" in operation or operation.get("parameters"):
        add("422", {"description": "Invalid input, messages per field", **_FIELD_ERRORS_REF})


def _fields_with_nul(value: Any, path: tuple[str, ...] = ()) -> Iterator[str]:
    if isinstance(value, str):
        if "\x00" in value:
            yield ".".join(path) or NON_FIELD_ERRORS
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _fields_with_nul(key, path)
            yield from _fields_with_nul(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _fields_with_nul(item, (*path, str(index)))


def refuse_nul_characters(data: Any) -> None:
    """PostgreSQL cannot store NUL in text (SQLite can): refuse it on the way in, as Django's forms do,
    with 422 naming the field, instead of a database error at the first query."""
    fields = sorted(set(_fields_with_nul(data)))
    if fields:
        raise ValidationError({field: _("Null characters are not allowed.") for field in fields})


class HotlineParser(Parser):
    """ninja's JSON and query parser, refusing NUL characters in any value."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = super().parse_body(request)
        refuse_nul_characters(data)
        return data

    def parse_querydict(self, data: Any, list_fields: list[str], request: HttpRequest) -> Any:
        parsed = super().parse_querydict(data, list_fields, request)
        refuse_nul_characters(parsed)
        return parsed


class HotlineAPI(NinjaAPI):
    """NinjaAPI whose schema errors are already translated and keyed by field when they are raised
    (ninja drops the offending input from its errors, and Django's messages need it), and whose
    document lists the input errors of every endpoint."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("parser", HotlineParser())
        super().__init__(**kwargs)

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for methods in schema["paths"].values():
            for operation in methods.values():
                document_input_errors(operation)
        return schema

    def validation_error_from_error_contexts(self, error_contexts: list[Any]) -> SchemaValidationError:
        errors: list[dict[str, Any]] = []
        for context in error_contexts:
            model = context.model
            exc: pydantic.ValidationError = context.pydantic_validation_error
            for error in exc.errors(include_url=False):
                loc = (model.__ninja_param_source__, *_client_loc(model, error["loc"]))
                errors.append({"field": field_key(loc), "msg": schema_message(error), "type": error["type"]})
        return SchemaValidationError(errors)


# ---------------------------------------------------------------- handlers


def install(api: NinjaAPI) -> None:
    """Register the handlers on the API; every endpoint relies on them instead of catching errors."""

    def refused(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(AuthenticationError)
    def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = refused(request, 401, refusal_body(_(
            "Authentication required: send “Authorization: Bearer <token>” or log in.")))
        response["WWW-Authenticate"] = 'Bearer realm="hotline"'
        return response

    @api.exception_handler(PermissionDenied)
    def not_allowed(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return refused(request, 403, refusal_body(str(exc) or _("You do not have permission to do this.")))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, ValidationError):  # the body parsed, but a value was refused (NUL)
            return refused(request, 422, invalid_body(exc.__cause__))
        # ninja's only 400 is a body it cannot parse; its wording is English-only
        message = _("The request body is not valid JSON.") if exc.status_code == 400 else exc.message
        return refused(request, exc.status_code, refusal_body(message))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return refused(request, 404, refusal_body(str(exc) or _("Not found.")))

    @api.exception_handler(DuplicateCustomer)
    def duplicate(request: HttpRequest, exc: DuplicateCustomer) -> HttpResponse:
        errors = field_errors(exc)
        return refused(request, 409, {"detail": errors["phones"][0], "errors": errors,
                                      "existing_customer_id": exc.existing.pk})

    @api.exception_handler(ControlError)
    def engine_refused(request: HttpRequest, exc: ControlError) -> HttpResponse:
        return refused(request, 409, {"detail": refusal_message(exc), "code": exc.code})

    @api.exception_handler(EngineUnavailable)
    def engine_unavailable(request: HttpRequest, exc: EngineUnavailable) -> HttpResponse:
        response = refused(request, 503, refusal_body(_("The telephony engine is not reachable; try again shortly.")))
        response["Retry-After"] = "5"
        return response

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return refused(request, 422, invalid_body(exc))

    @api.exception_handler(SchemaValidationError)
    def invalid_schema(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
        errors: dict[str, list[str]] = {}
        for error in exc.errors:
            field = error.get("field") or field_key(tuple(error.get("loc") or ("body",)))
            errors.setdefault(field, []).append(str(error.get("msg") or _("Enter a valid value.")))
        return refused(request, 422, {"errors": errors})
