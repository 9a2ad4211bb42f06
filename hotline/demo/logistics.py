"""The demo's couriers: who carries parcels from the warehouse in 广州, where, at what price, on what terms.

Six couriers, each a different kind of deal a TV-shopping company has:

- EMS (EMS特快专递): everywhere, cash on delivery up to ¥5,000 for 1 % (at least ¥3), zones by distance
  from 广州; its feedback file columns are saved, and it pushes events through the API.
- 中国邮政包裹: everywhere including the far west, slow and cheap, cash on delivery with no upper limit.
- 顺丰速运: fast and dear; cash on delivery (up to ¥3,000) only in the big cities.
- 圆通速递: cheap; not in 西藏; cash on delivery only in the eastern and central provinces.
- 速达城配 (落地配): some districts of 北京, 上海, 广州 and 深圳, next day, cash on delivery; feedback columns
  saved and pushes events through the API.
- 自有车队: our own vans in 广州, next day, cash on delivery, no fee for collecting.

Each courier prints on a shipped form (`hotline.logistics.printing.defaults`): EMS on the EMS waybill, the
post office on its parcel form, the city company and our vans on a delivery note, express on 100×150 labels.

Coverage rows use cpca's full names (`广东省`, `广州市`, `朝阳区`); a municipality's districts have a blank
city. Zones by distance from the warehouse: 同城 (广州), 省内 (广东), 一区 (neighbours), 二区 (east,
centre, south-west), 三区 (north, north-east, north-west), 偏远 (新疆, 西藏, 青海).

`Courier.feedback_columns` — how to read a courier's delivery feedback file — is a dict::

    {"tracking_number": "<header>", "order_number": "<header>", "status": "<header>",
     "at": "<header>", "reason": "<header>",
     "statuses": {"<the courier's word>": "<EventKind value>", ...}}

Each column key maps to the courier's header for that column; a key is absent when the courier's files do
not have the column (at least one of tracking_number / order_number is present, and status). `statuses`
maps each status word the courier writes to an `EventKind` value (delivered, refused, returning, returned,
lost, held, address, unreachable, out, in_transit).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from hotline.demo.regions import MUNICIPALITIES, cities
from hotline.lib.phones import PROVINCES
from hotline.logistics.choice import Area, CourierTerms, Rate
from hotline.logistics.models import Courier, CourierKind, Coverage, FeeRate, FormKind, FormTemplate
from hotline.logistics.printing.defaults import default_form_templates

WAREHOUSE_PROVINCE, WAREHOUSE_CITY = "广东省", "广州市"
SAME_CITY, SAME_PROVINCE, REMOTE = "同城", "省内", "偏远"
# Zone of each mainland province, by its distance from the warehouse in 广州.
PROVINCE_ZONES: dict[str, str] = {
    "广东": SAME_PROVINCE, "广西": "一区", "福建": "一区", "湖南": "一区", "江西": "一区", "海南": "一区",
    "上海": "二区", "江苏": "二区", "浙江": "二区", "安徽": "二区", "湖北": "二区", "河南": "二区", "重庆": "二区",
    "四川": "二区", "贵州": "二区", "云南": "二区", "北京": "三区", "天津": "三区", "河北": "三区", "山西": "三区",
    "山东": "三区", "辽宁": "三区", "吉林": "三区", "黑龙江": "三区", "陕西": "三区", "甘肃": "三区",
    "宁夏": "三区", "内蒙古": "三区", "新疆": REMOTE, "西藏": REMOTE, "青海": REMOTE,
}  # fmt: skip
LONG_PROVINCE = {short: long for long, short in PROVINCES.items() if short in PROVINCE_ZONES}
ZONES = (SAME_CITY, SAME_PROVINCE, "一区", "二区", "三区", REMOTE)
CITY_ZONE = "城配"
T = TypeVar("T")

EMS_FEEDBACK: dict[str, object] = {
    "tracking_number": "邮件号码", "status": "邮件状态", "at": "处理时间", "reason": "未妥投原因",
    "statuses": {"妥投": "delivered", "本人签收": "delivered", "他人代收": "delivered", "拒收": "refused",
                 "退回": "returning", "退回妥投": "returned", "丢失": "lost", "滞留": "held", "改址": "address",
                 "无人收件": "unreachable", "投递中": "out"},
}  # fmt: skip
CITY_FEEDBACK: dict[str, object] = {
    "tracking_number": "运单号", "order_number": "客户单号", "status": "配送结果", "at": "完成时间", "reason": "原因",
    "statuses": {"签收": "delivered", "拒收": "refused", "退回": "returning", "已退仓": "returned", "丢失": "lost",
                 "滞留": "held", "改地址": "address", "联系不上": "unreachable"},
}  # fmt: skip


@dataclass(frozen=True)
class CourierSpec:
    """One demo courier: terms, a price per zone (first kg, each 0.5 kg), delivery days per zone."""

    code: str
    name: str
    kind: str
    cod_max: str | None
    cod_fee: tuple[str, str]  # percent, minimum
    fees: dict[str, tuple[str, str]]
    days: dict[str, int]
    contact: tuple[str, str]
    form_kind: str
    feedback: dict[str, object] = field(default_factory=dict)
    api: bool = False


def _table(*values: T) -> dict[str, T]:
    """One value per zone, in the order of ZONES."""
    return dict(zip(ZONES, values, strict=True))


COURIERS: tuple[CourierSpec, ...] = (
    CourierSpec("ems", "EMS特快专递", CourierKind.EMS, "5000.00", ("1.00", "3.00"),
                _table(("10", "2"), ("12", "3"), ("15", "4"), ("18", "5"), ("20", "6"), ("22", "8")),
                _table(1, 2, 3, 3, 4, 6), ("邮政大客户部 林经理", "02083338888"), FormKind.EMS,
                EMS_FEEDBACK, api=True),
    CourierSpec("post", "中国邮政包裹", CourierKind.POST, None, ("1.50", "2.00"),
                _table(("8", "1"), ("8", "1.5"), ("9", "2"), ("10", "2.5"), ("11", "3"), ("14", "4")),
                _table(3, 4, 5, 6, 7, 10), ("天河邮政支局 陈主任", "02087654321"), FormKind.POST),
    CourierSpec("sf", "顺丰速运", CourierKind.EXPRESS, "3000.00", ("2.00", "5.00"),
                _table(("13", "2"), ("14", "3"), ("18", "5"), ("20", "6"), ("22", "7"), ("22", "8")),
                _table(1, 1, 2, 2, 2, 4), ("顺丰月结客服 黄小姐", "95338"), FormKind.LABEL_100x150),
    CourierSpec("yto", "圆通速递", CourierKind.EXPRESS, "2000.00", ("1.50", "3.00"),
                _table(("8", "1"), ("8", "1"), ("9", "1.5"), ("10", "2"), ("11", "2.5"), ("16", "5")),
                _table(1, 2, 3, 3, 4, 6), ("圆通白云网点 刘站长", "02036661234"), FormKind.LABEL_100x150),
    CourierSpec("suda", "速达城配", CourierKind.CITY, None, ("1.00", "2.00"), {CITY_ZONE: ("10", "2")},
                {CITY_ZONE: 1}, ("速达调度中心 周经理", "4008206688"), FormKind.DELIVERY_NOTE, CITY_FEEDBACK, api=True),
    CourierSpec("fleet", "自有车队", CourierKind.OWN, None, ("0", "0"), {SAME_CITY: ("8", "1")}, {SAME_CITY: 1},
                ("仓库车队 马队长", "13902201188"), FormKind.DELIVERY_NOTE),
)  # fmt: skip

# 顺丰 collects cash only in these cities; 圆通 only in these provinces (short names).
SF_COD_CITIES = ("北京", "上海", "天津", "重庆", "广州", "深圳", "杭州", "南京", "苏州", "成都", "武汉")
YTO_COD_PROVINCES = frozenset({"广东", "广西", "福建", "湖南", "江西", "浙江", "江苏", "上海", "安徽", "湖北", "河南",
                               "山东"})  # fmt: skip
YTO_NOT_COVERED = frozenset({"西藏"})
CITY_COURIER_CITIES = ("北京", "上海", "广州", "深圳")


@dataclass
class CourierBook:
    """The demo couriers as the choice reads them (`CourierTerms`), by code."""

    terms: dict[str, CourierTerms]

    def code_of(self, courier_id: int) -> str:
        return next(code for code, terms in self.terms.items() if terms.id == courier_id)


def create_couriers() -> CourierBook:
    """Write the couriers, their fee rates, coverage and shipping forms; return them as the choice reads them."""
    forms = _create_form_templates()
    couriers = [_courier(spec, forms) for spec in COURIERS]
    Courier.objects.bulk_create(couriers)
    rates, areas = [], []
    terms: dict[str, CourierTerms] = {}
    for spec, courier in zip(COURIERS, couriers, strict=True):
        spec_rates = [Rate(zone, Decimal("1"), Decimal(first), Decimal("0.5"), Decimal(step))
                      for zone, (first, step) in spec.fees.items()]
        spec_areas = coverage_for(spec)
        rates += [FeeRate(courier=courier, zone=r.zone, first_weight_kg=r.first_weight_kg, first_fee=r.first_fee,
                          step_kg=r.step_kg, step_fee=r.step_fee) for r in spec_rates]
        areas += [Coverage(courier=courier, province=a.province, city=a.city, district=a.district,
                           cod_allowed=a.cod_allowed, delivery_days=a.delivery_days, zone=a.zone) for a in spec_areas]
        terms[spec.code] = CourierTerms(
            id=courier.pk, name=courier.name, kind=courier.kind, cod_supported=courier.cod_supported,
            cod_max=courier.cod_max, cod_fee_percent=courier.cod_fee_percent, cod_fee_min=courier.cod_fee_min,
            return_freight_percent=courier.return_freight_percent, coverage=tuple(spec_areas), rates=tuple(spec_rates))
    FeeRate.objects.bulk_create(rates)
    Coverage.objects.bulk_create(areas)
    return CourierBook(terms)


def _courier(spec: CourierSpec, forms: dict[str, FormTemplate]) -> Courier:
    # Keys are random per load and printed nowhere: a demo reachable over the network must not share them.
    key, secret = (secrets.token_hex(16), secrets.token_urlsafe(32)) if spec.api else (None, "")
    return Courier(code=spec.code, name=spec.name, kind=spec.kind, cod_supported=True,
                   cod_max=Decimal(spec.cod_max) if spec.cod_max else None,
                   cod_fee_percent=Decimal(spec.cod_fee[0]), cod_fee_min=Decimal(spec.cod_fee[1]),
                   contact_name=spec.contact[0], contact_phone=spec.contact[1], form_template=forms.get(spec.form_kind),
                   feedback_columns=spec.feedback, api_key=key, api_secret=secret)


def coverage_for(spec: CourierSpec) -> list[Area]:
    """The coverage rows of a demo courier: its districts, its city, or every province it serves (with
    the warehouse city apart, in its own zone) and the big cities where it differs from its province."""
    if spec.kind == CourierKind.CITY:
        return [Area(LONG_PROVINCE[city.province], _long_city(city.name), district, True, spec.days[CITY_ZONE],
                     CITY_ZONE)
                for city in cities() if city.name in CITY_COURIER_CITIES for district in city.districts]
    if spec.kind == CourierKind.OWN:
        return [Area(WAREHOUSE_PROVINCE, WAREHOUSE_CITY, "", True, spec.days[SAME_CITY], SAME_CITY)]
    rows = [Area(LONG_PROVINCE[short], "", "", _cod(spec.code, short, short), spec.days[zone], zone)
            for short, zone in PROVINCE_ZONES.items() if not (spec.code == "yto" and short in YTO_NOT_COVERED)]
    rows.append(Area(WAREHOUSE_PROVINCE, WAREHOUSE_CITY, "", _cod(spec.code, "广东", "广州"), spec.days[SAME_CITY],
                     SAME_CITY))
    if spec.code == "sf":  # cash in the big cities of provinces where it takes none
        by_name = {city.name: city for city in cities()}
        rows += [Area(LONG_PROVINCE[by_name[name].province], _long_city(name), "", True,
                      spec.days[PROVINCE_ZONES[by_name[name].province]], PROVINCE_ZONES[by_name[name].province])
                 for name in SF_COD_CITIES if name not in MUNICIPALITIES and name != "广州"]
    return rows


def _cod(code: str, province: str, city: str) -> bool:
    """Whether the courier collects cash in this province (short name), or in this city of it."""
    if code == "sf":
        return city in SF_COD_CITIES
    if code == "yto":
        return province in YTO_COD_PROVINCES
    return True


def _long_city(name: str) -> str:
    """cpca's name of a demo city; a municipality's districts have a blank city."""
    return "" if name in MUNICIPALITIES else f"{name}市"


def _create_form_templates() -> dict[str, FormTemplate]:
    """The shipped shipping forms (`printing.defaults`), by kind: the first of each kind is the couriers'."""
    templates = FormTemplate.objects.bulk_create([FormTemplate(**row) for row in default_form_templates()])
    forms: dict[str, FormTemplate] = {}
    for template in templates:
        forms.setdefault(template.kind, template)
    return forms
