"""Forms of the logistics workbench: they read and check what the clerk typed or scanned; the actions write."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.catalog.models import Product
from hotline.logistics.models import Condition, Courier, EventKind, ShipmentStatus
from hotline.logistics.queries import STUCK_DAYS
from hotline.media.models import Airing
from hotline.orders.models import Order, PaymentMethod

RISK_LEVELS = [("", _("Any risk")), ("low", _("Low risk")), ("medium", _("Medium risk")), ("high", _("High risk"))]
PAIR_SEPARATOR = re.compile(r"[\t ,，]+")
MAX_PASTED_LINES = 2000
AIRING_DAYS = 60  # the airing filter offers the airings of the last two months


def add_action_error(form: forms.Form, error: ValidationError) -> None:
    """Put an action's ValidationError on the form: a key the form has becomes that field's error, anything
    else an error of the whole form."""
    if hasattr(error, "error_dict"):
        for key, errors in error.error_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    else:
        form.add_error(None, error)


class DateInput(forms.DateInput):
    input_type = "date"


class ReviewFilterForm(forms.Form):
    """The review queue's filters (all optional)."""

    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)
    airing = forms.ModelChoiceField(label=_("Airing"), required=False, empty_label=_("Any airing"),
                                    queryset=Airing.objects.none())
    province = forms.CharField(label=_("Province"), required=False, max_length=20)
    city = forms.CharField(label=_("City"), required=False, max_length=30)
    payment = forms.ChoiceField(label=_("Payment"), required=False,
                                choices=[("", _("Any payment")), *PaymentMethod.choices])
    amount_min = forms.DecimalField(label=_("Amount from"), required=False, min_value=0, decimal_places=2)
    amount_max = forms.DecimalField(label=_("Amount to"), required=False, min_value=0, decimal_places=2)
    risk = forms.ChoiceField(label=_("Refusal risk"), required=False, choices=RISK_LEVELS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        since = timezone.now() - datetime.timedelta(days=AIRING_DAYS)
        self.fields["airing"].queryset = (  # type: ignore[attr-defined]
            Airing.objects.filter(starts_at__gte=since).select_related("station").order_by("-starts_at"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        low, high = data.get("amount_min"), data.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error("amount_max", _("The largest amount is below the smallest."))
        return data


class OrderSelectionForm(forms.Form):
    """The orders ticked in the review queue."""

    orders = forms.ModelMultipleChoiceField(queryset=Order.objects.all(), label=_("Orders"),
                                            error_messages={"required": _("Select at least one order.")})


class SendBackForm(OrderSelectionForm):
    """Send the ticked orders back to their agents, with the reason they will read."""

    reason = forms.CharField(label=_("Reason"), max_length=300,
                             error_messages={"required": _("Say why the order goes back to the agent.")})


class ScanForm(forms.Form):
    """Scan to ship: the order's barcode, then the waybill's tracking number."""

    order = forms.CharField(label=_("Order number"), max_length=40)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=60)


class BulkShipForm(forms.Form):
    """Pairs pasted from a spreadsheet: order number and tracking number on each line (tab, space or comma)."""

    pairs = forms.CharField(label=_("Order number, tracking number (one pair a line)"), widget=forms.Textarea)

    def clean_pairs(self) -> list[tuple[str, str]]:
        lines = [line.strip() for line in self.cleaned_data["pairs"].splitlines()]
        lines = [line for line in lines if line]
        if len(lines) > MAX_PASTED_LINES:
            raise ValidationError(_("At most %(max)d lines at a time.") % {"max": MAX_PASTED_LINES})
        pairs, errors = [], []
        for number, line in enumerate(lines, start=1):
            parts = PAIR_SEPARATOR.split(line)
            if len(parts) != 2:
                errors.append(_("Line %(line)d: write the order number and the tracking number, nothing else.")
                              % {"line": number})
            else:
                pairs.append((parts[0], parts[1]))
        if errors:
            raise ValidationError(errors)
        return pairs


class TrackingFilterForm(forms.Form):
    """The tracking list's filters, and the silence that makes a parcel stuck."""

    courier = forms.ModelChoiceField(label=_("Courier"), required=False, queryset=Courier.objects.all(),
                                     empty_label=_("Any courier"))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), *ShipmentStatus.choices])
    date_from = forms.DateField(label=_("Shipped from"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("Shipped until"), required=False, widget=DateInput)
    stuck_days = forms.IntegerField(label=_("Stuck after (days)"), required=False, min_value=1, max_value=60,
                                    initial=STUCK_DAYS)


class EventForm(forms.Form):
    """A tracking event typed in by a clerk (a courier phoned it in, say)."""

    kind = forms.ChoiceField(label=_("Event"), choices=EventKind.choices)
    at = forms.DateTimeField(label=_("Time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                      format="%Y-%m-%dT%H:%M"))
    detail = forms.CharField(label=_("Detail"), required=False, max_length=200)

    def clean_at(self) -> Any:
        at = self.cleaned_data["at"]
        if at > timezone.now() + datetime.timedelta(minutes=5):
            raise ValidationError(_("The event cannot be in the future."))
        return at


class CourierChangeForm(forms.Form):
    """Logistics overrides the automatic courier choice of a parcel still on the shelf."""

    courier = forms.ModelChoiceField(label=_("Courier"), queryset=Courier.objects.filter(active=True))
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ReturnLookupForm(forms.Form):
    """Scan or type the order number of the returned parcel."""

    order = forms.CharField(label=_("Order number"), max_length=40)


class ReturnForm(forms.Form):
    """What came back of an order: per line a quantity and a condition; the return freight and a note."""

    return_freight = forms.DecimalField(label=_("Return freight"), min_value=0, max_digits=10, decimal_places=2)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args: Any, order: Order, freight: Decimal | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order = order
        self.lines = list(order.lines.select_related("product").order_by("id"))
        if freight is not None:
            self.fields["return_freight"].initial = freight
        for line in self.lines:
            self.fields[f"quantity_{line.pk}"] = forms.IntegerField(
                label=line.product.name, min_value=0, max_value=line.quantity, initial=line.quantity)
            self.fields[f"condition_{line.pk}"] = forms.ChoiceField(
                label=_("Condition"), choices=Condition.choices, initial=Condition.GOOD)
        if self.lines:  # the scanned order opens on its first line: type the quantity, Tab to the condition
            self.fields[f"quantity_{self.lines[0].pk}"].widget.attrs["autofocus"] = True

    def line_fields(self) -> list[tuple[Any, forms.BoundField, forms.BoundField]]:
        """(order line, its quantity field, its condition field) for the template."""
        return [(line, self[f"quantity_{line.pk}"], self[f"condition_{line.pk}"]) for line in self.lines]

    def goods(self) -> list[tuple[int, int, str]]:
        """(order line id, quantity, condition) of each line with something in it."""
        return [(line.pk, self.cleaned_data[f"quantity_{line.pk}"], self.cleaned_data[f"condition_{line.pk}"])
                for line in self.lines if self.cleaned_data.get(f"quantity_{line.pk}")]


class ReceiveStockForm(forms.Form):
    """Goods delivered by a supplier."""

    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.order_by("name"))
    quantity = forms.IntegerField(label=_("Units received"), min_value=1, max_value=1_000_000)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class CountStockForm(forms.Form):
    """A stock count: the units found on the shelf."""

    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.order_by("name"))
    counted = forms.IntegerField(label=_("Units counted"), min_value=0, max_value=1_000_000)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)
