"""/reports/custom/: the custom report builder (自定义报表) — a source, dimensions, measures, filters and a
period from the documented catalogue → the table, its chart, Excel and PDF — and the saved reports: save,
share, open, edit and delete (the owner only), e-mailed daily when asked (hotline/reports/mailing.py).

The builder is a GET form: `source`, `dim` (repeated), `measure` (repeated), `f_<dimension>` (filter
values, comma-separated or repeated) and the period fields. Saving and editing POST the same fields with
the save form's (CSRF-protected). Bad input answers 400 with the translated error and saves nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hotline.accounts.models import User
from hotline.reports import custom as builder
from hotline.reports.catalogue import SOURCES, Dimension, filter_model
from hotline.reports.forms import SavedReportForm
from hotline.reports.mailing import DEFAULT_SEND_AT, recipient_problem
from hotline.reports.models import SavedReport
from hotline.reports.periods import Period, parse_period
from hotline.reports.views.common import error_text, page, reports_user, respond

TEMPLATE = "reports/custom.html"
COMMON = {"period", "from", "to", "grain", "compare", "format", "page", "sort"}
BUILDER = {"source", "dim", "measure", "run", "edit"}
SAVE_FIELDS = {"name", "shared", "email_daily", "recipients", "send_at", "csrfmiddlewaretoken"}


def definition_from(params: QueryDict, allowed: set[str]) -> dict[str, Any]:
    """The definition the builder's fields describe (not yet validated); an unknown field is an error."""
    for key in params:
        if key not in allowed and not key.startswith("f_"):
            raise ValidationError(_("Unknown filter: %(name)s") % {"name": key[:40]}, code="bad_filter")
    filters = {key[2:]: ",".join(params.getlist(key)) for key in params if key.startswith("f_")
               and any(value.strip() for value in params.getlist(key))}
    period = {key: params[key] for key in ("period", "from", "to") if params.get(key)}
    return {"source": params.get("source") or "calls", "dimensions": params.getlist("dim"),
            "measures": params.getlist("measure"), "filters": filters, "period": period}


def _lists(user: User) -> dict[str, Any]:
    return {"mine": SavedReport.objects.filter(owner=user),
            "shared_reports": SavedReport.objects.filter(shared=True).exclude(owner=user).select_related("owner")}


def _context(user: User, chosen: dict[str, Any], **more: Any) -> dict[str, Any]:
    source = SOURCES.get(str(chosen.get("source")), SOURCES["calls"])
    filters = {key: ",".join(value) if isinstance(value, list) else str(value)
               for key, value in (chosen.get("filters") or {}).items()}
    fields = [_filter_field(d, filters.get(d.key, "")) for d in source.dimensions.values() if d.filterable]
    return {"title": _("Custom reports"), "sources": SOURCES.values(), "source": source, "chosen": chosen,
            "filter_fields": fields, "chosen_filters": filters, "receivers": _receivers(),
            "default_send_at": DEFAULT_SEND_AT, **_lists(user), **more,
            "send_at_value": send_at_text(more["save_form"]) if "save_form" in more else "07:00",
            **_dates(chosen.get("period") or {}, more.get("period"))}


def _dates(wanted: dict[str, str], period: Period | None) -> dict[str, str]:
    """The builder's from/to fields: as asked, else the period shown."""
    return {"from_value": wanted.get("from") or (period.first.isoformat() if period else ""),
            "to_value": wanted.get("to") or (period.last.isoformat() if period else "")}


MAX_OPTIONS = 200  # airings: the most recent ones; older ones by id in the saved definition


def _filter_field(dimension: Dimension, value: str) -> dict[str, Any]:
    """A filter's field on the builder: a multiple choice when the values are few enough to list."""
    picked = set(value.split(",")) if value else set()
    options: list[tuple[str, str]] | None = None
    if dimension.filter == "choices":
        options = [(key, str(label)) for key, label in dimension.choices.items()]
    elif dimension.filter == "model":
        model = filter_model(dimension)
        objects = model.objects.order_by("-pk")[:MAX_OPTIONS]
        if dimension.key == "airing":
            objects = model.objects.select_related("station").order_by("-starts_at")[:MAX_OPTIONS]
        options = [(str(obj.pk), str(getattr(obj, dimension.display) if dimension.display else obj))
                   for obj in objects]
        options.sort(key=lambda option: option[1])
        if dimension.nullable:
            options.insert(0, ("none", _("(none)")))
    return {"dimension": dimension, "name": f"f_{dimension.key}", "value": value,
            "options": None if options is None else [(key, label, key in picked) for key, label in options]}


def _receivers() -> list[User]:
    """The users a daily e-mail may go to (the form refuses anyone else with a message)."""
    return [user for user in User.objects.filter(is_active=True).exclude(email="").order_by("username")
            if recipient_problem(user) is None]


def _computed(definition: dict[str, Any], request: HttpRequest, default: str = "today") -> dict[str, Any]:
    """The period, table and chart of a (validated) definition; the period from the request when it names
    one, else the definition's."""
    wanted = request.GET if request.GET.get("period") else definition.get("period") or {}
    period = parse_period(wanted, default=default)
    table = builder.run(definition, period)
    chart = builder.chart_of(definition, table)
    return {"period": period, "tables": [table], "charts": [chart] if chart else []}


@login_required
@require_GET
def custom(request: HttpRequest) -> HttpResponse:
    """The builder; with measures (or `run`) also the report."""
    user = reports_user(request)
    chosen: dict[str, Any] = {"source": request.GET.get("source") or "calls", "dimensions": [], "measures": [],
                              "filters": {}, "period": {}}
    try:
        chosen = definition_from(request.GET, COMMON | BUILDER)
        if chosen["source"] not in SOURCES:
            builder.validate(chosen)
        if request.GET.get("measure") or request.GET.get("run"):
            clean = builder.validate(chosen)
            context = _context(user, clean, **_computed(clean, request))
        else:
            context = _context(user, chosen, period=parse_period(request.GET))
    except ValidationError as error:
        context = _context(user, chosen, error=error_text(error))
    editing = _editing(request)
    context["editing"] = editing
    context["save_form"] = _form_of(user, editing)
    context["send_at_value"] = send_at_text(context["save_form"])
    return respond(request, TEMPLATE, "custom", context, filename="custom")


def _saved_for(request: HttpRequest, pk: int, *, owner_only: bool) -> tuple[User, SavedReport]:
    user = reports_user(request)
    report = get_object_or_404(SavedReport.objects.select_related("owner"), pk=pk)
    if report.owner_id != user.pk and (owner_only or not report.shared):
        raise PermissionDenied()
    return user, report


@login_required
@require_GET
def saved(request: HttpRequest, pk: int) -> HttpResponse:
    """A saved report over its own period (or the one the request picks), with Excel and PDF."""
    user, report = _saved_for(request, pk, owner_only=False)
    context: dict[str, Any] = {"saved": report, "is_owner": report.owner_id == user.pk, "title": report.name}
    try:
        for key in request.GET:
            if key not in COMMON:
                raise ValidationError(_("Unknown filter: %(name)s") % {"name": key[:40]}, code="bad_filter")
        clean = builder.validate(report.definition)
        context.update(_context(user, clean, **_computed(clean, request, default="yesterday")))
        context.update(_dates({key: request.GET.get(key, "") for key in ("from", "to")}, context["period"]))
    except ValidationError as error:
        context.update(_context(user, dict(report.definition), error=error_text(error)))
    context["title"] = report.name
    return respond(request, "reports/custom_saved.html", "custom", context, filename=f"custom-{report.pk}")


def _save(request: HttpRequest, user: User, report: SavedReport | None) -> HttpResponse:
    """Check the definition and the form; save (create or update) or answer 400 with the errors."""
    form = SavedReportForm(request.POST, owner=user, instance=report)
    chosen: dict[str, Any] = {"source": request.POST.get("source") or "calls", "dimensions": [], "measures": [],
                              "filters": {}, "period": {}}
    try:
        chosen = definition_from(request.POST, COMMON | BUILDER | SAVE_FIELDS)
        clean = builder.validate(chosen)
    except ValidationError as error:
        return _refused(request, user, chosen, form, error_text(error), report)
    if not form.is_valid():
        messages = [str(message) for errors in form.errors.values() for message in errors]
        return _refused(request, user, clean, form, " ".join(messages), report)
    data = form.cleaned_data
    with transaction.atomic():
        target = report or SavedReport(owner=user)
        target.name, target.definition, target.shared = data["name"], clean, data["shared"]
        target.email_daily, target.send_at = data["email_daily"], data["send_at"]
        target.save()
        target.recipients.set(data["recipients"])
    return HttpResponseRedirect(reverse("reports:custom_saved", args=[target.pk]))


def send_at_text(form: SavedReportForm) -> str:
    """The send-at field's value as HH:MM (a bound form holds the text posted, an unbound one a time)."""
    value = form["send_at"].value()
    if hasattr(value, "strftime"):
        return str(value.strftime("%H:%M"))
    return str(value or DEFAULT_SEND_AT.strftime("%H:%M"))[:5]


def _refused(request: HttpRequest, user: User, chosen: dict[str, Any], form: SavedReportForm, error: str,
             report: SavedReport | None) -> HttpResponse:
    context = _context(user, chosen, error=error, save_form=form, editing=report)
    return page(request, TEMPLATE, "custom", context, status=400)


@login_required
@require_POST
def save(request: HttpRequest) -> HttpResponse:
    return _save(request, reports_user(request), None)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the builder filled with the saved report; POST: save it (its owner only)."""
    user, report = _saved_for(request, pk, owner_only=True)
    if request.method == "POST":
        return _save(request, user, report)
    return HttpResponseRedirect(f"{reverse('reports:custom')}?{builder_query(report)}")


def builder_query(report: SavedReport) -> str:
    """The builder's fields for a saved report (its definition, `run`, and `edit` = its id)."""
    definition = report.definition
    query = QueryDict(mutable=True)
    query["edit"] = str(report.pk)
    query["source"] = str(definition.get("source", ""))
    query.setlist("dim", [str(key) for key in definition.get("dimensions", [])])
    query.setlist("measure", [str(key) for key in definition.get("measures", [])])
    for key, values in (definition.get("filters") or {}).items():
        query[f"f_{key}"] = ",".join(values) if isinstance(values, list) else str(values)
    for key, value in (definition.get("period") or {}).items():
        query[key] = str(value)
    query["run"] = "1"
    return query.urlencode()


def _editing(request: HttpRequest) -> SavedReport | None:
    """The saved report the builder edits (`edit` = its id; its owner only)."""
    wanted = request.GET.get("edit", "")
    if not wanted:
        return None
    if not wanted.isdigit():
        raise Http404()
    return _saved_for(request, int(wanted), owner_only=True)[1]


def _form_of(user: User, report: SavedReport | None) -> SavedReportForm:
    if report is None:
        return SavedReportForm(owner=user, initial={"send_at": DEFAULT_SEND_AT})
    return SavedReportForm(owner=user, instance=report, initial={
        "name": report.name, "shared": report.shared, "email_daily": report.email_daily,
        "recipients": list(report.recipients.all()), "send_at": report.send_at or DEFAULT_SEND_AT})


@login_required
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a saved report (its owner only)."""
    _user, report = _saved_for(request, pk, owner_only=True)
    report.delete()
    return HttpResponseRedirect(reverse("reports:custom"))


urls = [
    path("custom/", custom, name="custom"),
    path("custom/save/", save, name="custom_save"),
    path("custom/<int:pk>/", saved, name="custom_saved"),
    path("custom/<int:pk>/edit/", edit, name="custom_edit"),
    path("custom/<int:pk>/delete/", delete, name="custom_delete"),
]
