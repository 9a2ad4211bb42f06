"""/reports/drill/<name>/?…: the rows behind a figure, 100 a page with their total, linked to the call's
record and the order's page; `?format=xlsx` exports all of them (at most MAX_EXPORT rows)."""

from __future__ import annotations

from itertools import islice
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from hotline.reports import drill as registry
from hotline.reports import drills  # importing it registers the shared drill-downs
from hotline.reports.tables import ReportTable
from hotline.reports.views.common import error_text, page, reports_user

PAGE_SIZE = 100
MAX_EXPORT = 100_000
# Keys of the request that are the page's own, not the drill-down's parameters.
OWN_KEYS = ("format", "page")


def _page_number(request: HttpRequest) -> int:
    text = request.GET.get("page", "1")
    if not text.isdigit() or int(text) < 1:
        raise ValidationError(_("Unknown value for %(name)s: %(value)s") % {"name": "page", "value": text[:40]})
    return int(text)


@login_required
@require_GET
def drill_view(request: HttpRequest, name: str) -> HttpResponse:
    reports_user(request)
    function = registry.find(name)
    if function is None:
        raise Http404(_("No such drill-down."))
    params = {key: request.GET.get(key, "") for key in request.GET if key not in OWN_KEYS}
    context: dict[str, Any] = {"drill_name": name, "params": sorted(params.items()), "page_size": PAGE_SIZE}
    try:
        number = _page_number(request)
        found = function(params)
        context["params"] = drills.describe(params)
    except ValidationError as error:
        context["error"] = error_text(error)
        return page(request, "reports/drill.html", "drill", context, status=400)
    title = str(found.title)
    if request.GET.get("format") == "xlsx":
        from hotline.reports import exports

        streamed = islice(iter(found.rows), MAX_EXPORT)
        table = ReportTable(title, found.columns, streamed)  # type: ignore[arg-type]  # streamed, not a list
        return exports.xlsx_response(f"drill-{name}", title, None, [table])
    pages = max(1, -(-found.count // PAGE_SIZE))
    number = min(number, pages)
    window = slice((number - 1) * PAGE_SIZE, number * PAGE_SIZE)
    rows = found.rows[window] if hasattr(found.rows, "__getitem__") else list(
        islice(iter(found.rows), window.start, window.stop))
    base = dict(params)
    context.update({
        "title": title, "count": found.count, "page": number, "pages": pages,
        "table": ReportTable(title, found.columns, list(rows), key=f"drill-{name}"),
        "first_row": window.start + 1 if found.count else 0, "last_row": min(window.stop, found.count),
        "previous_url": "?" + urlencode({**base, "page": number - 1}) if number > 1 else "",
        "next_url": "?" + urlencode({**base, "page": number + 1}) if number < pages else "",
        "export_url": "?" + urlencode({**base, "format": "xlsx"}),
        "too_many": found.count > MAX_EXPORT, "max_export": MAX_EXPORT,
    })
    return page(request, "reports/drill.html", "drill", context)


urls = [path("drill/<str:name>/", drill_view, name="drill")]
