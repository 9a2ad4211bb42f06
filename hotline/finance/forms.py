"""Forms of the finance workbench: they read and check what the clerk typed; the actions write (and check the
money rules: what is still owed, what may be refunded, what was corrected already)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from hotline.finance.models import OpenItemKind, OpenItemStatus, PayMethod
from hotline.logistics.models import Courier

AMOUNT_ERRORS = {
    "required": _("Write the amount in yuan, such as 398.00."),
    "invalid": _("Write the amount in yuan, such as 398.00."),
    "max_decimal_places": _("At most two decimal places (fen)."),
    "max_digits": _("The amount is too large."),
    "max_whole_digits": _("The amount is too large."),
}


def add_action_error(form: forms.Form, error: ValidationError) -> None:
    """Put an action's ValidationError on the form: a key the form has becomes that field's error, anything
    else an error of the whole form."""
    if hasattr(error, "error_dict"):
        for key, errors in error.error_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    else:
        form.add_error(None, error)


def amount_field() -> forms.DecimalField:
    """An amount of yuan as typed: a number with at most two decimals (the action checks it is above zero
    and within what the order allows)."""
    return forms.DecimalField(label=_("Amount (¥)"), max_digits=12, decimal_places=2, error_messages=AMOUNT_ERRORS,
                              widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class OrderLookupForm(forms.Form):
    """Find an order by its number, or a customer's orders by a phone number."""

    q = forms.CharField(label=_("Order number or phone"), max_length=40,
                        error_messages={"required": _("Type an order number or a phone number.")})

    def clean_q(self) -> str:
        return str(self.cleaned_data["q"]).strip()


class PaymentForm(forms.Form):
    """Money received for an order (收款)."""

    method = forms.ChoiceField(label=_("Method"), choices=PayMethod.choices, initial=PayMethod.TRANSFER)
    amount = amount_field()
    payer = forms.CharField(label=_("Payer"), max_length=100, required=False)
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False,
                                help_text=_("Bank slip, remittance or transaction number."))
    received_at = forms.DateTimeField(label=_("Received at"), required=False, widget=DateTimeInput(),
                                      input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
                                      help_text=_("Leave empty for now."))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class RefundForm(forms.Form):
    """Money given back for an order (退款), with the reason."""

    method = forms.ChoiceField(label=_("Method"), choices=PayMethod.choices, initial=PayMethod.TRANSFER)
    amount = amount_field()
    reason = forms.CharField(label=_("Reason"), max_length=300,
                             error_messages={"required": _("Give a reason for this change.")})
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)


class CorrectionForm(forms.Form):
    """Cancel a payment or refund recorded by mistake: an opposite row with the reason."""

    reason = forms.CharField(label=_("Reason"), max_length=300,
                             error_messages={"required": _("Give a reason for this change.")})


class OpenItemFilterForm(forms.Form):
    """The open items list's filters; the open ones unless asked otherwise."""

    courier = forms.ModelChoiceField(label=_("Courier"), required=False, queryset=Courier.objects.order_by("name"),
                                     empty_label=_("Any courier"))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any kind")), *OpenItemKind.choices])
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[*OpenItemStatus.choices, ("all", _("Open and resolved"))])

    def filters(self) -> dict[str, Any]:
        """The valid filters, with the default status (open) filled in."""
        data = dict(self.cleaned_data) if self.is_valid() else {}
        data["status"] = data.get("status") or OpenItemStatus.OPEN
        return data


class ResolveForm(forms.Form):
    """How an open item was settled."""

    resolution = forms.CharField(label=_("How it was settled"), max_length=300,
                                 error_messages={"required": _("Write how this difference was settled.")})


class ReopenForm(forms.Form):
    """Why a resolved item is open again."""

    reason = forms.CharField(label=_("Reason"), max_length=300,
                             error_messages={"required": _("Say why this item is open again.")})
