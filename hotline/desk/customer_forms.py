"""Forms of the desk's customer tools: what the agent types; the actions validate the rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from hotline.crm.models import Channel, Customer, Gender

EDITED_FIELDS = ("name", "gender", "birthday", "birthday_lunar", "member_no", "notify_channel", "notes")


class ReportForm(forms.Form):
    """A nuisance number (the caller's) and why."""

    number = forms.CharField(label=_("Phone number"), max_length=32)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class PinForm(forms.Form):
    """The PIN the customer says, typed twice by the agent."""

    pin = forms.CharField(label=_("New PIN"), max_length=8, widget=forms.PasswordInput(attrs={"inputmode": "numeric"}))
    pin_again = forms.CharField(label=_("PIN again"), max_length=8,
                                widget=forms.PasswordInput(attrs={"inputmode": "numeric"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("pin") and data.get("pin_again") and data["pin"] != data["pin_again"]:
            self.add_error("pin_again", _("The two PINs differ; type them again."))
        return data


class CustomerEditForm(forms.Form):
    """The caller's own fields, and a new default address typed as free text."""

    name = forms.CharField(label=_("Name"), max_length=100)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices)
    birthday = forms.DateField(label=_("Birthday"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}),
                               error_messages={"invalid": _("Enter a date such as 1970-05-20.")})
    birthday_lunar = forms.BooleanField(label=_("Celebrates by the lunar calendar"), required=False)
    member_no = forms.CharField(label=_("Member number"), max_length=20, required=False)
    notify_channel = forms.ChoiceField(label=_("Notifications by"), choices=Channel.choices)
    notes = forms.CharField(label=_("Preferences and notes"), max_length=4000, required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))
    address = forms.CharField(label=_("New default address"), max_length=300, required=False)

    @classmethod
    def for_customer(cls, customer: Customer) -> CustomerEditForm:
        return cls(initial={name: getattr(customer, name) for name in EDITED_FIELDS})

    def changes(self) -> dict[str, Any]:
        """The edited fields as `do_update_customer` takes them (an empty member number is none)."""
        data = {name: self.cleaned_data[name] for name in EDITED_FIELDS}
        data["name"] = data["name"].strip()
        data["member_no"] = data["member_no"].strip() or None
        return data
