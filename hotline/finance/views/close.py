"""日结 The daily close: a day's figures (stored once closed, live otherwise), the rows behind each figure,
the PDF and the Excel of it, closing a day that has ended, and the recent closes.

Finance and managers see it (Perm.VIEW_FINANCE); closing a day needs Perm.CLOSE_DAY."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.permissions import Perm
from hotline.finance.actions.close import do_close_day
from hotline.finance.close import BY_KEY, courier_lines, day_view, figure_lines, figure_rows, today
from hotline.finance.close_documents import (
    ROW_COLUMNS,
    closed_text,
    file_name,
    render_close_pdf,
    render_close_xlsx,
    title_of,
)
from hotline.finance.models import DailyClose
from hotline.finance.views.common import finance_user, page

TAB = "close"
PER_PAGE = 100
RECENT = 14
# A PDF runs none of our scripts; the browser's own viewer shows it (see logistics' batch documents).
PDF_POLICY = "default-src 'none'; object-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _day(text: str) -> datetime.date:
    """A day from the address (YYYY-MM-DD) that has begun; 404 for anything else."""
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise Http404(_("“%(day)s” is not a day (YYYY-MM-DD).") % {"day": text}) from None
    if day > today():
        raise Http404(_("%(day)s has not come yet.") % {"day": day.isoformat()})
    return day


def _asked_day(request: HttpRequest) -> tuple[datetime.date, str]:
    """The day asked for with ?day= (today when absent) and an error to show when it cannot be shown."""
    text = request.GET.get("day", "").strip()
    if not text:
        return today(), ""
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        return today(), _("“%(day)s” is not a day: pick one with the calendar (YYYY-MM-DD).") % {"day": text}
    if day > today():
        return today(), _("%(day)s has not come yet: here is today.") % {"day": day.isoformat()}
    return day, ""


def _context(user: Any, day: datetime.date) -> dict[str, Any]:
    view = day_view(day)
    one = datetime.timedelta(days=1)
    return {"view": view, "day": day, "title": title_of(view), "closed_text": closed_text(view),
            "lines": figure_lines(view.figures), "couriers": courier_lines(view.figures),
            "previous": day - one, "next": day + one if day < today() else None, "today": today(),
            "may_close": view.closable and user.has_perm(Perm.CLOSE_DAY),
            "recent": DailyClose.objects.select_related("recorded_by")[:RECENT]}


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = finance_user(request, TAB)
    day, error = _asked_day(request)
    return page(request, "finance/close.html", TAB, {**_context(user, day), "error": error},
                status=400 if error else 200)


@login_required
@require_POST
def close_day(request: HttpRequest, day: str) -> HttpResponse:
    """Close the day: its figures are stored as they are now, once."""
    user = finance_user(request, TAB, Perm.CLOSE_DAY)
    when = _day(day)
    try:
        do_close_day(when, actor=user)
    except ValidationError as error:
        return page(request, "finance/close.html", TAB,
                    {**_context(user, when), "error": " ".join(error.messages)}, status=400)
    messages.success(request, _("%(day)s is closed: its figures are stored.") % {"day": when.isoformat()})
    return redirect(f"{reverse('finance:close')}?day={when.isoformat()}")


@login_required
@require_GET
def rows(request: HttpRequest, day: str, key: str) -> HttpResponse:
    """The rows behind one figure of the day, a page at a time, with the figure they add up to."""
    finance_user(request, TAB)
    when = _day(day)
    if key not in BY_KEY:
        raise Http404(_("There is no figure “%(key)s”.") % {"key": key})
    columns = ROW_COLUMNS[key]
    page_obj = Paginator(figure_rows(when, key), PER_PAGE).get_page(request.GET.get("page"))
    line = next(line for line in figure_lines(day_view(when).figures) if line.key == key)
    table = [[(column.read(row), column.money) for column in columns] for row in page_obj]
    return page(request, "finance/close_rows.html", TAB, {
        "day": when, "figure": BY_KEY[key], "line": line, "columns": columns, "table": table,
        "page_obj": page_obj})


@login_required
@require_GET
def pdf(request: HttpRequest, day: str) -> HttpResponse:
    finance_user(request, TAB)
    view = day_view(_day(day))
    response = HttpResponse(render_close_pdf(view), content_type="application/pdf")
    response["Content-Security-Policy"] = PDF_POLICY
    response["Content-Disposition"] = f'inline; filename="{file_name(view, "pdf")}"'
    return response


@login_required
@require_GET
def xlsx(request: HttpRequest, day: str) -> HttpResponse:
    """The figures and a sheet of rows per figure, written within the request: one day's rows."""
    finance_user(request, TAB)
    view = day_view(_day(day))
    response = HttpResponse(render_close_xlsx(view), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{file_name(view, "xlsx")}"'
    return response


urls = [
    path("close/", index, name="close"),
    path("close/<str:day>/close/", close_day, name="close-day"),
    path("close/<str:day>/rows/<str:key>/", rows, name="close-rows"),
    path("close/<str:day>/pdf/", pdf, name="close-pdf"),
    path("close/<str:day>/xlsx/", xlsx, name="close-xlsx"),
]
