"""Airings of TV spots: by station and day, and one by id. Spend only for those who may see it."""

import datetime

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from hotline.accounts.permissions import Perm
from hotline.api.auth import needs
from hotline.api.errors import responses
from hotline.api.pagination import Page
from hotline.api.schemas import AiringFilter, AiringOut, PathId
from hotline.media.models import Airing, Station

router = Router(tags=["airings"])


def _airings() -> QuerySet[Airing]:
    return Airing.objects.select_related("station", "product")


def airing_or_404(airing_id: int) -> Airing:
    """The airing with its station and product, or a translated 404."""
    airing = _airings().filter(pk=airing_id).first()
    if airing is None:
        raise Http404(_("Airing #%(id)s does not exist.") % {"id": airing_id})
    return airing


def local_day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of a local day (TIME_ZONE), as an aware datetime."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def filter_airings(filters: AiringFilter) -> QuerySet[Airing]:
    """Airings matching all the filters, latest first; an unknown station code is an error, not an empty list."""
    airings = _airings()
    if filters.station:
        station = Station.objects.filter(code=filters.station).first()
        if station is None:
            raise ValidationError({"station": _("Unknown station “%(code)s”.") % {"code": filters.station}})
        airings = airings.filter(station=station)
    first, last = (filters.date, filters.date) if filters.date else (filters.date_from, filters.date_to)
    if first:
        airings = airings.filter(starts_at__gte=local_day_start(first))
    if last:
        airings = airings.filter(starts_at__lt=local_day_start(last + datetime.timedelta(days=1)))
    if filters.product_id:
        airings = airings.filter(product_id=filters.product_id)
    return airings.order_by("-starts_at", "-id")


@router.get("", response={200: list[AiringOut], **responses(422)}, auth=needs(Perm.VIEW_MEDIA))
@paginate(Page)
def list_airings(request: HttpRequest, filters: Query[AiringFilter]) -> QuerySet[Airing]:
    """Airings, latest first, of a station (`station=hunan`) and/or local days (`date`, or
    `date_from`/`date_to`, inclusive). Needs `media.view_airing`; `cost` needs `media.view_spend`."""
    return filter_airings(filters)


@router.get("/{airing_id}", response={200: AiringOut, **responses(404, 422)}, auth=needs(Perm.VIEW_MEDIA))
def get_airing(request: HttpRequest, airing_id: PathId) -> Airing:
    """One airing. Needs `media.view_airing`; `cost` needs `media.view_spend`."""
    return airing_or_404(airing_id)
