"""The known refusal model of the demo data: who refuses a cash-on-delivery parcel at the door.

Every demo order whose parcel reached the customer's door (it ends delivered, settled, refused, returned
or exchanged) is refused or accepted by one draw against this probability, so a risk score can be
measured against a truth that is known, not against noise. Prepaid orders (transfer, card), exchange
replacements and self pick-ups are never refused: the customer has nothing to pay at the door.

For a cash-on-delivery parcel::

    logit P(refused) = logit(city_rate)
                       + 1.5 × min(previous refusals, 2)
                       − 0.7 × [at least one previous delivery]
                       + 0.3 × [new customer]
                       + 0.4 × clamp(log2(order total / ¥1000), −1.5, 3)
                       + 0.9 × [ordered late at night, 22:00–05:59 local time]

- `city_rate` is the city's base refusal rate (`CITY_RATES`, 8 % to 30 %): the chance that a returning
  customer with no history, ordering ¥1,000 in the daytime, refuses.
- previous refusals / deliveries: the customer's other orders whose history reached `refused` /
  `delivered` (OrderStatusChange.at) *before this order was placed* — what a score computed at review
  could know. A self pick-up's `delivered` counts as a delivery.
- new customer: the order is the customer's first, and the customer record was created for it (minutes
  before it). Every later order of theirs is a returning customer's, as is the first order in the demo week
  of a customer on file from before it. Customers on file may have ordered in the year before the week
  (`orders.HISTORY_*`): those orders are decided by the same model, and their refusals and deliveries
  count as previous ones.
- order total: the order's total in yuan (what the courier collects).
- the hour is the local hour (Asia/Shanghai) the order was placed.

The first orders of a plan are forced into every status so that each one is represented; a forced
refusal ignores the model (a handful of orders in thousands). With the default demo (10,000 customers,
5,000 orders) about one COD parcel in five is refused (see `tests/demo/test_demo_logistics.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

# Base refusal rate per demo city (`regions.CITIES`), in percent. Rich eastern cities refuse least;
# lower-tier and far western cities, where impulse buyers meet the courier with less cash, refuse most.
CITY_RATES: dict[str, int] = {
    "北京": 8, "上海": 8, "杭州": 8, "苏州": 8, "南京": 10, "宁波": 10, "深圳": 10, "厦门": 10, "广州": 12,
    "天津": 12, "无锡": 10, "青岛": 12, "济南": 14, "成都": 14, "武汉": 14, "长沙": 15, "合肥": 15, "福州": 14,
    "重庆": 16, "佛山": 12, "温州": 15, "烟台": 16, "郑州": 18, "洛阳": 22, "石家庄": 20, "唐山": 22, "保定": 26,
    "株洲": 22, "衡阳": 26, "宜昌": 20, "绵阳": 22, "芜湖": 18, "泉州": 16, "南昌": 18, "赣州": 26, "沈阳": 18,
    "大连": 14, "长春": 20, "哈尔滨": 20, "太原": 20, "西安": 16, "南宁": 24, "桂林": 26, "昆明": 22, "贵阳": 26,
    "海口": 24, "兰州": 28, "呼和浩特": 26, "乌鲁木齐": 30, "银川": 28, "西宁": 30, "拉萨": 30,
}  # fmt: skip
DEFAULT_CITY_RATE = 18

W_PREVIOUS_REFUSAL = 1.5
MAX_PREVIOUS_REFUSALS = 2
W_PREVIOUS_DELIVERY = -0.7
W_NEW_CUSTOMER = 0.3
W_VALUE = 0.4  # per doubling of the order total over REFERENCE_TOTAL
REFERENCE_TOTAL = Decimal("1000")
VALUE_RANGE = (-1.5, 3.0)
W_LATE_NIGHT = 0.9
LATE_NIGHT_FROM, LATE_NIGHT_UNTIL = 22, 6  # local hours [22:00, 06:00)


@dataclass(frozen=True)
class RefusalFeatures:
    """What the model reads about one cash-on-delivery parcel."""

    city: str
    previous_refusals: int
    previous_deliveries: int
    new_customer: bool
    total: Decimal
    local_hour: int


def late_night(hour: int) -> bool:
    """Whether an order placed at this local hour is a late-night impulse order."""
    return hour >= LATE_NIGHT_FROM or hour < LATE_NIGHT_UNTIL


def refusal_logit(features: RefusalFeatures) -> float:
    """The model's log-odds of a refusal (see the module docstring)."""
    base = CITY_RATES.get(features.city, DEFAULT_CITY_RATE) / 100
    logit = math.log(base / (1 - base))
    logit += W_PREVIOUS_REFUSAL * min(features.previous_refusals, MAX_PREVIOUS_REFUSALS)
    logit += W_PREVIOUS_DELIVERY if features.previous_deliveries else 0.0
    logit += W_NEW_CUSTOMER if features.new_customer else 0.0
    total = max(float(features.total), 1.0)
    logit += W_VALUE * min(max(math.log2(total / float(REFERENCE_TOTAL)), VALUE_RANGE[0]), VALUE_RANGE[1])
    logit += W_LATE_NIGHT if late_night(features.local_hour) else 0.0
    return logit


def refusal_probability(features: RefusalFeatures) -> float:
    """P(the customer refuses the parcel at the door), for a cash-on-delivery parcel."""
    return 1 / (1 + math.exp(-refusal_logit(features)))
