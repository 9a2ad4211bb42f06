"""Attribution: which airing caused a call or an order (rules and limits in docs/attribution.md)."""

from __future__ import annotations

import datetime

from django.conf import settings

from hotline.media.models import Airing, HotlineNumber


def attribution_window() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.HOTLINE_ATTRIBUTION_WINDOW_MINUTES)


def attribute(hotline_number: HotlineNumber | None, at: datetime.datetime) -> Airing | None:
    """The latest airing that started at or before `at` and ended no more than the window before it.

    On a number mapped to a station only that station's airings count; on a shared number, any
    station's. The window is measured from the end of the airing, so a long programme keeps its
    calls while it runs and for the window after it.
    """
    if hotline_number is None:
        return None
    candidates = Airing.objects.filter(starts_at__lte=at, ends_at__gte=at - attribution_window())
    if hotline_number.station_id is not None:
        candidates = candidates.filter(station_id=hotline_number.station_id)
    return candidates.order_by("-starts_at", "-id").first()


def hotline_number_by_dnis(dnis: str) -> HotlineNumber | None:
    """The hotline number record for a dialled number in any notation, or None."""
    from django.core.exceptions import ValidationError

    from hotline.lib.phones import normalize_phone

    try:
        number = normalize_phone(dnis)
    except ValidationError:
        return None
    return HotlineNumber.objects.filter(number=number).select_related("station", "airing_queue").first()
