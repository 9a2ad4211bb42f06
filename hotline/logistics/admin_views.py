"""Back-office pages beyond Django's own: the preview of a shipping form template with sample data."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from hotline.accounts.permissions import Perm
from hotline.logistics.models import FormTemplate
from hotline.logistics.printing import FormData, ParcelItem, render_forms
from hotline.logistics.printing.config import print_config


def sample_parcel() -> FormData:
    """A made-up parcel with every field filled in, long enough to show where text wraps or shrinks."""
    sender = print_config().sender
    items = (ParcelItem("JZ-001", _("Neck massager"), 1, "A-01-02", unit_price=Decimal("398.00"),
                        line_total=Decimal("398.00")),
             ParcelItem("JZ-002", _("Heat pad (gift)"), 1, "A-01-03", gift=True))
    return FormData(
        order_number="L20261207000123", recipient="王小明", recipient_phone="13800138000",
        address="广东省深圳市南山区科技园南路18号 深圳湾科技生态园10栋B座1201室", postcode="518057",
        destination="广东 深圳", sender_name=sender.name, sender_phone=sender.phone, sender_address=sender.address,
        sender_postcode=sender.postcode, cod_amount=Decimal("398.00"), freight=Decimal("12.00"),
        total=Decimal("398.00"), weight_kg=Decimal("1.20"), contents=_("Neck massager ×1, heat pad ×1"),
        tracking_number="EA123456789CN", courier="EMS", order_date=datetime.date(2026, 12, 7),
        notes=_("Sample data: check positions against the printed form."), items=items)


def preview_form_template(request: HttpRequest, object_id: str) -> HttpResponse:
    """One page of the template, as saved, with sample data, shown inline in the browser (MANAGE_COURIERS)."""
    if not request.user.has_perm(Perm.MANAGE_COURIERS):
        raise PermissionDenied
    template = FormTemplate.objects.filter(pk=object_id).first() if object_id.isdigit() else None
    if template is None:
        raise Http404
    try:
        pdf = render_forms(template, [sample_parcel()])
    except ValidationError as exc:  # a template saved before validation existed, or edited in the database
        return HttpResponse(" ".join(exc.messages), status=422, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="form-{template.pk}-preview.pdf"'
    return response
