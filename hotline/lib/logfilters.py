"""Logging filters for the server console (wired in settings.LOGGING).

A refused or missing page is the client's doing: one line says so, a traceback would bury the lines that
matter. Static files (the desk's CSS and scripts, ECharts, Swagger UI) are fetched by every screen and say
nothing about what the call center did, so the access log leaves them out.
"""

from __future__ import annotations

import logging

STATIC_PREFIX = "/static/"


class ClientErrorWithoutTraceback(logging.Filter):
    """Keeps Django's 4xx warnings ("Forbidden (Permission denied): /admin/…") on one line: drops the
    traceback Django attaches to them. 5xx errors keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class SkipStaticAccess(logging.Filter):
    """Leaves requests for static files out of uvicorn's access log; every other request is kept.

    uvicorn logs `'%s - "%s %s HTTP/%s" %d'` with (client, method, path with query, HTTP version, status)."""

    def __init__(self, prefix: str = STATIC_PREFIX) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            return not args[2].startswith(self.prefix)
        return True
