"""Airings (a media plan) from and to Excel, matched by station and start time (to the second).

The start is one date-time column, or a date column and a time column as media plans often have;
times are wall-clock times in settings.TIME_ZONE. A station is named by its code or its name; a
product by its SKU or short code, and a withdrawn product cannot be put on air."""

from __future__ import annotations

import datetime
from collections.abc import Hashable
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.accounts.actions import do_save_object
from hotline.accounts.audit import snapshot
from hotline.accounts.permissions import Perm
from hotline.catalog.models import Product, SaleStatus
from hotline.lib.money import ZERO
from hotline.lib.xlsx import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Column,
    ImportFileError,
    Row,
    RowParser,
    TableImport,
    local_naive,
    parse_amount,
    parse_date,
    parse_datetime,
    parse_seconds,
    parse_text,
    parse_time,
)
from hotline.media.models import Airing, Station

ONE_SECOND = datetime.timedelta(seconds=1)


def _length(value: Any) -> int | None:
    """Seconds on air; checked here so that a zero reads as one clear error, not the model's two."""
    seconds = parse_seconds(value)
    if seconds is not None and seconds < 1:
        raise ValidationError(_("An airing lasts at least one second."))
    return seconds


class AiringImport(TableImport):
    """Airings: station, start and length are required; station + start is the natural key."""

    columns = (
        Column("station", gettext_lazy("station"), ("电视台", "频道", "台", "station code"), required=True),
        Column("starts_at", gettext_lazy("starts at"), ("开始时间", "播出时间", "播出开始", "start", "start time")),
        Column("date", gettext_lazy("date"), ("日期", "播出日期")),
        Column("time", gettext_lazy("time"), ("时间", "播出时刻", "开始时刻")),
        Column("length", gettext_lazy("length (seconds)"), ("时长", "时长(秒)", "长度", "秒数", "length",
                                                            "length_seconds", "seconds"), required=True),
        Column("product", gettext_lazy("product"), ("商品", "产品", "商品编号", "货号")),
        Column("cost", gettext_lazy("spot cost"), ("费用", "成本", "花费", "投放费用", "播出费用", "cost")),
        Column("title", gettext_lazy("title"), ("标题", "节目", "节目名称", "广告名称")),
    )
    field_columns = {"length_seconds": "length", "station": "station", "product": "product"}
    sheet_title = gettext_lazy("airings")

    def __init__(self, *, actor: Any) -> None:
        super().__init__(actor=actor)
        self._stations = list(Station.objects.all())
        self._products: dict[str, Product | None] = {}

    def check_columns(self, present: set[str]) -> None:
        if "starts_at" not in present and not {"date", "time"} <= present:
            raise ImportFileError(_("Missing columns: %(names)s.") % {
                "names": _("%(start)s (or %(date)s and %(time)s)") % {
                    "start": self._label("starts_at"), "date": self._label("date"), "time": self._label("time")}})

    def parse(self, row: Row) -> dict[str, Any]:
        parser = RowParser(row)
        parser.take("station", self._station, required=True)
        if "starts_at" in row.values:
            parser.take("starts_at", parse_datetime, required=True)
        else:
            day = parser.take("date", parse_date, required=True)
            at = parser.take("time", parse_time, required=True)
            if day and at:
                parser.data["starts_at"] = timezone.make_aware(datetime.datetime.combine(day, at),
                                                               timezone.get_default_timezone())
        parser.take("length", _length, required=True)
        parser.take("product", self._product)
        parser.take("cost", lambda v: parse_amount(v) or ZERO)
        parser.take("title", parse_text)
        return parser.done()

    def _station(self, value: Any) -> Station | None:
        text = parse_text(value)
        if not text:
            return None
        by_code = [s for s in self._stations if s.code.lower() == text.lower()]
        found = by_code or [s for s in self._stations if text in (s.name, str(s))]
        if not found:
            raise ValidationError(_("Unknown station “%(value)s”.") % {"value": text})
        if len(found) > 1:
            raise ValidationError(_("Several stations are called “%(value)s”; use the station code.")
                                  % {"value": text})
        return found[0]

    def _product(self, value: Any) -> Product | None:
        text = parse_text(value)
        if not text:
            return None
        if text not in self._products:
            self._products[text] = Product.objects.filter(Q(sku__iexact=text) | Q(short_code__iexact=text)).first()
        product = self._products[text]
        if product is None:
            raise ValidationError(_("Unknown product “%(value)s”.") % {"value": text})
        if product.status == SaleStatus.WITHDRAWN:
            raise ValidationError(_("%(product)s is withdrawn and cannot be aired.") % {"product": product})
        return product

    def keys(self, data: dict[str, Any]) -> list[Hashable]:
        return [(data["station"].pk, data["starts_at"])]

    def describe_key(self, key: Hashable) -> str:
        station_id, starts_at = cast(tuple[int, datetime.datetime], key)
        station = next(s for s in self._stations if s.pk == station_id)
        return f"{station} {local_naive(starts_at):%Y-%m-%d %H:%M:%S}"

    def apply(self, data: dict[str, Any]) -> str:
        start = data["starts_at"]
        airing = (Airing.objects.filter(station=data["station"], starts_at__gte=start,
                                        starts_at__lt=start + ONE_SECOND).first())
        created = airing is None
        if airing is None:
            airing = Airing(station=data["station"])
        before = snapshot(airing)
        if airing.starts_at != start:  # same instant in another zone is no change
            airing.starts_at = start
        airing.length_seconds = data["length"]
        for name in ("product", "cost", "title"):
            if name in data:
                setattr(airing, name, data[name])
        if not created and snapshot(airing) == before:
            return UNCHANGED
        do_save_object(airing, actor=self.actor, action="import_airing")
        return CREATED if created else UPDATED

    @classmethod
    def export_columns(cls, user: Any) -> list[Column]:
        hidden = {"date", "time"} if user.has_perm(Perm.VIEW_SPEND) else {"date", "time", "cost"}
        return [column for column in cls.columns if column.key not in hidden]

    @classmethod
    def export_queryset(cls, queryset: QuerySet[Airing]) -> QuerySet[Airing]:
        return queryset.select_related("station", "product")

    @classmethod
    def export_values(cls, obj: Airing) -> dict[str, Any]:
        return {"station": obj.station.code, "starts_at": local_naive(obj.starts_at),
                "length": obj.length_seconds, "product": obj.product.sku if obj.product else "",
                "cost": obj.cost, "title": obj.title}
