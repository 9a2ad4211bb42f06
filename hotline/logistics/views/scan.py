"""扫描发货 Scan to ship: the order's barcode, then the waybill's; or pasted pairs in bulk."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_POST

from hotline.logistics import queries
from hotline.logistics.actions import do_ship_parcel, do_ship_parcels
from hotline.logistics.forms import BulkShipForm, ScanForm, add_action_error
from hotline.logistics.views.common import page, workbench_user

TEMPLATE = "logistics/scan.html"
SHOWN = 100  # the latest parcels listed under the scan fields


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    shipped = queries.shipped_today_by(request.user)
    return {"form": ScanForm(), "bulk": BulkShipForm(), "shipped": shipped[:SHOWN], "shipped_count": shipped.count(),
            **extra}


@login_required
@require_GET
def scan(request: HttpRequest) -> HttpResponse:
    """The scan screen: the order field has the focus."""
    workbench_user(request, "scan")
    return page(request, TEMPLATE, "scan", _context(request))


@login_required
@require_POST
def ship(request: HttpRequest) -> HttpResponse:
    """One scanned pair: shipped (the fields empty again, focus on the order), or the error in red."""
    user = workbench_user(request, "scan")
    form = ScanForm(request.POST)
    if form.is_valid():
        try:
            shipment = do_ship_parcel(form.cleaned_data["order"], form.cleaned_data["tracking_number"], actor=user)
        except ValidationError as error:
            add_action_error(form, error)
        else:
            return page(request, TEMPLATE, "scan", _context(request, done=shipment), fragment="logistics/_scan.html")
    return page(request, TEMPLATE, "scan", _context(request, form=form), status=400, fragment="logistics/_scan.html")


@login_required
@require_POST
def ship_bulk(request: HttpRequest) -> HttpResponse:
    """Pasted pairs: all ship, or none and each bad line is listed."""
    user = workbench_user(request, "scan")
    bulk = BulkShipForm(request.POST)
    if bulk.is_valid():
        result = do_ship_parcels(bulk.cleaned_data["pairs"], actor=user)
        if not result.errors:
            return page(request, TEMPLATE, "scan", _context(request, bulk_shipped=len(result.shipped)))
        for line in result.errors:
            bulk.add_error("pairs", line)
    return page(request, TEMPLATE, "scan", _context(request, bulk=bulk), status=400)
