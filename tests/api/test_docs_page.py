"""/api/docs works offline: Swagger UI comes from our static files (scripts/vendor_swagger.sh), no CDN."""

from __future__ import annotations

import json
import re

from django.contrib.staticfiles import finders
from django.test import Client

STATIC_FILES = ["api/vendor/swagger-ui.css", "api/vendor/swagger-ui-bundle.js", "api/docs.js"]


def _page() -> str:
    response = Client().get("/api/docs")
    assert (response.status_code, response["Content-Type"]) == (200, "text/html; charset=utf-8")
    return response.content.decode()


def test_the_docs_page_references_only_our_static_files() -> None:
    html = _page()
    referenced = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert referenced == [f"/static/{name}" for name in STATIC_FILES]
    # and nothing on the page names another host (CDN, validator, fonts)
    assert re.findall(r"https?://|//cdn|jsdelivr|unpkg", html) == []


def test_the_referenced_static_files_exist_with_their_licence() -> None:
    for name in [*STATIC_FILES, "api/vendor/SWAGGER-UI-LICENSE", "api/vendor/swagger-ui-bundle.js.LICENSE.txt"]:
        found = finders.find(name)
        assert found is not None, name
    bundle = finders.find("api/vendor/swagger-ui-bundle.js")
    with open(bundle, encoding="utf-8") as handle:  # type: ignore[arg-type]
        assert "SwaggerUIBundle" in handle.read(4096)


def test_swagger_reads_our_document_and_asks_no_online_validator() -> None:
    html = _page()
    settings = json.loads(re.search(r'<script type="application/json" id="swagger-settings">(.*?)</script>',
                                    html, re.S).group(1))  # type: ignore[union-attr]
    assert (settings["url"], settings["validatorUrl"]) == ("/api/openapi.json", None)
