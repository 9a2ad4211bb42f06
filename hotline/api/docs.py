"""The `/api/docs` page: Swagger UI from our own static files, so it works without the internet.

django-ninja's own Swagger page loads Swagger UI from a CDN unless `ninja` is an installed app; ours
renders `api/docs.html`, which uses the copy `scripts/vendor_swagger.sh` puts in the static files.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import Swagger

if TYPE_CHECKING:
    from ninja import NinjaAPI

# Swagger UI's default asks validator.swagger.io to judge the document on every page view.
OFFLINE_SETTINGS = {"validatorUrl": None}


class OfflineSwagger(Swagger):
    """Swagger UI rendered from the vendored copy. "Try it out" with the browser's session sends the CSRF
    token, as the desk does (`DeskSession` checks it on writes)."""

    template = "api/docs.html"

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        super().__init__({**OFFLINE_SETTINGS, **(settings or {})})

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        page_settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        return render(request, self.template, {"swagger_settings": json.dumps(page_settings), "api": api})
