"""The Content-Security-Policy header on every response.

Scripts run only from Hotline's own static files: no inline <script>, no inline handlers, no eval. A
customer's name or note that slipped past escaping could then not run in an agent's or an admin's
browser. Styles may be inline (htmx adds its indicator style; the admin and Swagger UI set style
attributes); a style cannot run code.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"
REPORT_ONLY_HEADER = "Content-Security-Policy-Report-Only"


def policy(host: str) -> str:
    """The policy for a page served to `host` (the websocket URL of the same host is allowed: a browser
    that does not count ws:// and wss:// as 'self' would otherwise refuse the desk's live connection)."""
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "media-src": "'self' blob:",
        "connect-src": f"'self' ws://{host} wss://{host}" if host else "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    """Adds the policy to every response that has none; `HOTLINE_CSP_REPORT_ONLY` sends it as
    Report-Only (the browser reports violations in its console and blocks nothing), for trying a change."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        header = REPORT_ONLY_HEADER if getattr(settings, "CSP_REPORT_ONLY", False) else HEADER
        if header not in response:
            response[header] = policy(_host(request))
        return response


def _host(request: HttpRequest) -> str:
    try:
        return request.get_host()
    except Exception:  # DisallowedHost: the response is an error page anyway; keep the policy strict
        return ""
