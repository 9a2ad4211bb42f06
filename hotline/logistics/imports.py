"""Couriers' coverage from and to Excel/CSV: one row per (courier, province, city, district).

The courier is named by its code or its name. Places are kept as written (`广东省` or `广东`) and matched as
the courier choice matches them, so a file with long names updates rows saved with short ones. A blank
货到付款 cell means no cash on delivery; a blank 配送天数 keeps the row's days (3 for a new row).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.accounts.audit import snapshot
from hotline.lib.xlsx import CREATED, UNCHANGED, UPDATED, Column, Row, RowParser, TableImport, parse_bool, parse_int
from hotline.lib.xlsx import parse_text as _text
from hotline.logistics.actions.coverage import area_key, coverage_errors, do_save_coverage, find_coverage
from hotline.logistics.models import Courier, Coverage

IMPORT_KIND = "import.coverage"
AREA_FIELDS = ("province", "city", "district")


class CoverageImport(TableImport):
    """Coverage rows: courier, province and zone are required; (courier, place) is the natural key."""

    columns = (
        Column("courier", gettext_lazy("courier"), ("快递公司", "快递", "物流公司", "承运商", "courier code"),
               required=True),
        Column("province", gettext_lazy("province"), ("省", "省份", "省/直辖市"), required=True),
        Column("city", gettext_lazy("city"), ("市", "城市", "地市")),
        Column("district", gettext_lazy("district"), ("区/县", "区县", "区", "县")),
        Column("cod_allowed", gettext_lazy("cash on delivery"), ("货到付款", "代收货款", "COD")),
        Column("delivery_days", gettext_lazy("delivery days"), ("配送天数", "时效", "天数")),
        Column("zone", gettext_lazy("zone"), ("区域", "分区", "计费区域"), required=True),
    )
    field_columns = {"courier": "courier", "province": "province", "city": "city", "district": "district",
                     "cod_allowed": "cod_allowed", "delivery_days": "delivery_days", "zone": "zone"}
    key_label = gettext_lazy("area")
    sheet_title = gettext_lazy("coverage")

    def __init__(self, *, actor: Any) -> None:
        super().__init__(actor=actor)
        self._couriers: dict[str, Courier | None] = {}

    def parse(self, row: Row) -> dict[str, Any]:
        parser = RowParser(row)
        parser.take("courier", self._courier, required=True)
        parser.take("province", lambda v: _text(v, 20), required=True)
        parser.take("city", lambda v: _text(v, 30))
        parser.take("district", lambda v: _text(v, 30))
        parser.take("cod_allowed", parse_bool)
        parser.take("delivery_days", _days)
        parser.take("zone", lambda v: _text(v, 20), required=True)
        self._check_place(parser)
        return parser.done()

    @staticmethod
    def _check_place(parser: RowParser) -> None:
        """The action's checks (places cpca knows, a priced zone) at parse time, so every bad cell is listed."""
        data = parser.data
        if "province" not in data:
            return
        row = Coverage(courier=data.get("courier"), province=data["province"], city=data.get("city", ""),
                       district=data.get("district", ""), zone=data.get("zone", ""),
                       delivery_days=data.get("delivery_days") or 0)
        for key, messages in coverage_errors(row).items():
            if key not in parser.errors:
                parser.error(key, *messages)

    def _courier(self, value: Any) -> Courier | None:
        name = _text(value)
        if not name:
            return None
        if name not in self._couriers:
            self._couriers[name] = Courier.objects.filter(Q(code__iexact=name) | Q(name=name)).first()
        if self._couriers[name] is None:
            raise ValidationError(_("Unknown courier “%(name)s”: use its code or its name.") % {"name": name})
        return self._couriers[name]

    def keys(self, data: dict[str, Any]) -> list[Hashable]:
        return [(data["courier"].pk, *area_key(data["province"], data.get("city", ""), data.get("district", "")))]

    def describe_key(self, key: Hashable) -> str:
        courier_id, province, city, district = cast(tuple[int, str, str, str], key)
        courier = next((c for c in self._couriers.values() if c is not None and c.pk == courier_id), None)
        return f"{courier} {province}{city}{district}"

    def apply(self, data: dict[str, Any]) -> str:
        city, district = data.get("city", ""), data.get("district", "")
        coverage = find_coverage(data["courier"], data["province"], city, district)
        created = coverage is None
        if coverage is None:
            coverage = Coverage(courier=data["courier"])
        before = snapshot(coverage)
        coverage.province, coverage.city, coverage.district = data["province"], city, district
        coverage.zone = data["zone"]
        if "cod_allowed" in data:
            coverage.cod_allowed = data["cod_allowed"]
        if data.get("delivery_days") is not None:
            coverage.delivery_days = data["delivery_days"]
        if not created and snapshot(coverage) == before:
            return UNCHANGED
        do_save_coverage(coverage, actor=self.actor, action="import_coverage")
        return CREATED if created else UPDATED

    @classmethod
    def export_queryset(cls, queryset: QuerySet[Coverage]) -> QuerySet[Coverage]:
        return queryset.select_related("courier")

    @classmethod
    def export_values(cls, obj: Coverage) -> dict[str, Any]:
        return {"courier": obj.courier.code, "province": obj.province, "city": obj.city, "district": obj.district,
                "cod_allowed": _("Yes") if obj.cod_allowed else _("No"), "delivery_days": obj.delivery_days,
                "zone": obj.zone}


def _days(value: Any) -> int | None:
    days = parse_int(value)
    if days is not None and days < 0:
        raise ValidationError(_("Delivery days cannot be negative."))
    return days

