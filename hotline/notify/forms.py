"""Forms of the outbox screen."""

from __future__ import annotations

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from hotline.crm.models import Channel
from hotline.notify.events import EVENTS
from hotline.notify.models import NotificationStatus


def _blank(label: str | Promise) -> list[tuple[str, str | Promise]]:
    return [("", label)]


class OutboxFilterForm(forms.Form):
    """Narrow the outbox: status, channel, event, and a number, order number or customer name."""

    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=_blank(_("All statuses")) + list(NotificationStatus.choices))
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=_blank(_("All channels")) + [c for c in Channel.choices if c[0] != "none"])
    event = forms.ChoiceField(label=_("Event"), required=False,
                              choices=_blank(_("All events")) + [(k, v[0]) for k, v in EVENTS.items()])
    q = forms.CharField(label=_("Number, order or customer"), required=False, max_length=100)


class OptOutForm(forms.Form):
    """A number that asked on the phone for no more SMS."""

    number = forms.CharField(label=_("Mobile number"), max_length=30)
