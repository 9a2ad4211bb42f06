"""The form saving a custom report: its name (unique per owner), sharing, and the daily e-mail (recipients
who may see reports and have an address; the time it goes out). The definition itself is checked by
hotline.reports.custom.validate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.accounts.models import User
from hotline.reports.mailing import recipient_problem
from hotline.reports.models import SavedReport


class SavedReportForm(forms.Form):
    """Name, shared flag and daily e-mail of a saved report; `owner` and `instance` (when editing) make the
    name check per owner."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    shared = forms.BooleanField(label=gettext_lazy("Share with everyone who sees reports"), required=False)
    email_daily = forms.BooleanField(label=gettext_lazy("E-mail daily (PDF and Excel)"), required=False)
    # Every active user may be posted, so that someone who may not receive reports gets our own message.
    recipients = forms.ModelMultipleChoiceField(label=gettext_lazy("Recipients"), required=False,
                                                queryset=User.objects.filter(is_active=True).order_by("username"))
    send_at = forms.TimeField(label=gettext_lazy("Send at (local time)"), required=False,
                              widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def __init__(self, *args: Any, owner: User, instance: SavedReport | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner, self.instance = owner, instance

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        taken = SavedReport.objects.filter(owner=self.owner, name=name)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if not name:
            raise forms.ValidationError(_("Give the report a name."), code="required")
        if taken.exists():
            raise forms.ValidationError(_("You already have a report called %(name)s.") % {"name": name[:100]},
                                        code="taken")
        return name

    def clean_recipients(self) -> list[User]:
        chosen = list(self.cleaned_data["recipients"])
        problems = [problem for user in chosen if (problem := recipient_problem(user))]
        if problems:
            raise forms.ValidationError(problems)
        return chosen

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("email_daily") and not data.get("recipients") and "recipients" not in self.errors:
            self.add_error("recipients", _("Choose at least one recipient for the daily e-mail."))
        return data
