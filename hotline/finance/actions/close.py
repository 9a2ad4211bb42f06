"""Closing a day (日结): its figures stored once, never changed."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from hotline.accounts.audit import record
from hotline.accounts.permissions import Perm
from hotline.finance.actions.common import require, user_or_none
from hotline.finance.close import business_tz, day_figures, has_ended
from hotline.finance.models import DailyClose
from hotline.lib.bus import publish_on_commit


def _already_closed(close: DailyClose) -> ValidationError:
    who = close.recorded_by.get_username() if close.recorded_by else _("the system")
    when = date_format(timezone.localtime(close.recorded_at, business_tz()), "DATETIME_FORMAT")
    return ValidationError({"day": _(
        "%(day)s was closed already, by %(who)s at %(when)s: a closed day keeps its figures. Corrections made "
        "since then count on the day they were made.") % {"day": close.day.isoformat(), "who": who, "when": when}})


@transaction.atomic
def do_close_day(day: datetime.date, *, actor: Any) -> DailyClose:
    """Close `day`: compute its figures from the rows (`hotline.finance.close.day_figures`) and store them
    once (DailyClose, append-only). Only a day that has ended can be closed, and only once."""
    require(actor, Perm.CLOSE_DAY)
    if not has_ended(day):
        raise ValidationError({"day": _(
            "%(day)s is not over yet: a day can be closed from the next day on.") % {"day": day.isoformat()}})
    existing = DailyClose.objects.select_related("recorded_by").filter(day=day).first()
    if existing is not None:
        raise _already_closed(existing)
    figures = day_figures(day)
    try:
        with transaction.atomic():
            close = DailyClose.objects.create(day=day, figures=figures, recorded_by=user_or_none(actor))
    except IntegrityError:  # another clerk closed the same day a moment ago
        raise _already_closed(DailyClose.objects.select_related("recorded_by").get(day=day)) from None
    record("close_day", close, actor=actor, after={"day": day.isoformat(), "figures": figures})
    publish_on_commit("finance.day_closed", {"day": day.isoformat(), "close_id": close.pk})
    return close
