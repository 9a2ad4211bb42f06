"""Automatic courier choice and freight, as pure functions: no ORM, no I/O, frozen inputs, Decimal yuan.

`choose_courier(parcel, couriers, stats)` keeps the couriers that may carry the parcel (delivery method,
active, coverage of the district, cash on delivery, rush) and ranks them by the expected cost of sending
it: freight + COD fee + P(not delivered) × what a failed delivery costs (freight both ways and a lost
margin). P(delivered) is measured per courier and city, shrunk towards the courier's national rate (itself
shrunk towards a global prior) so that a city with three parcels does not decide on luck.
`hotline.logistics.selection` loads the inputs from the database.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from hotline.lib.money import ZERO, yuan

TENTH = Decimal("0.1")
VOLUMETRIC_DIVISOR = 6000  # cm³ per kg: the couriers' usual volumetric weight (length × width × height / 6000)

# The order's delivery method → the kinds of courier that may carry it (Order.delivery_method values).
KINDS_FOR_METHOD: Mapping[str, frozenset[str]] = {
    "ems": frozenset({"ems"}),
    "post": frozenset({"post"}),
    "courier": frozenset({"express", "city", "own"}),
    "pickup": frozenset(),
}

# Why a courier was left out, in the order the rules are checked. The furthest stage any courier reached
# names the rule that stopped the best of them, which is what the `problem` text reports.
STAGE_METHOD, STAGE_ACTIVE, STAGE_COVERAGE, STAGE_COD, STAGE_RUSH, STAGE_RATE = range(6)


# Addresses are parsed to short names (广东, 深圳) and coverage is imported with cpca's full ones (广东省,
# 深圳市): both are compared without these suffixes, longest first.
PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")
CITY_SUFFIXES = ("地区", "市")


@functools.lru_cache(maxsize=4096)
def place_key(name: str, suffixes: Sequence[str] = PROVINCE_SUFFIXES) -> str:
    """A province's (or, with CITY_SUFFIXES, a city's) name without its administrative suffix."""
    name = name.strip()
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@functools.lru_cache(maxsize=4096)
def city_key(name: str) -> str:
    return place_key(name, CITY_SUFFIXES)


# ---------------------------------------------------------------- inputs

@dataclass(frozen=True)
class Rate:
    """A courier's price in one zone: `first_fee` for the first `first_weight_kg`, `step_fee` per started
    `step_kg` beyond it."""

    zone: str
    first_weight_kg: Decimal
    first_fee: Decimal
    step_kg: Decimal
    step_fee: Decimal


@dataclass(frozen=True)
class Area:
    """One coverage row: a province, a city in it or a district in that (blank = all of it)."""

    province: str
    city: str = ""
    district: str = ""
    cod_allowed: bool = True
    delivery_days: int = 3
    zone: str = ""

    @property
    def specificity(self) -> int:
        return 2 if self.district else 1 if self.city else 0


def _area_key(area: Area) -> tuple[str, str, str]:
    """(province, city, district) keys of a coverage row. A municipality's district may be written without
    its city (北京市, "", 朝阳区): the city is the province then, as the orders write it (北京, 北京)."""
    province = place_key(area.province)
    if area.city:
        return province, city_key(area.city), area.district
    return (province, city_key(province), area.district) if area.district else (province, "", "")


@dataclass(frozen=True)
class CourierTerms:
    """A courier with everything the choice reads: kind, COD terms, coverage rows and fee rates."""

    id: int
    name: str
    kind: str
    active: bool = True
    cod_supported: bool = True
    cod_max: Decimal | None = None
    cod_fee_percent: Decimal = Decimal("0")
    cod_fee_min: Decimal = Decimal("0")
    return_freight_percent: Decimal = Decimal("100")
    coverage: tuple[Area, ...] = ()
    rates: tuple[Rate, ...] = ()

    # coverage by (province key, city key or "", district or ""), and rates by zone: built once, read
    # for every parcel (10,000 orders × every courier)
    _areas: Mapping[tuple[str, str, str], Area] = field(init=False, repr=False, compare=False)
    _rates: Mapping[str, Rate] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_areas", {_area_key(area): area for area in self.coverage})
        object.__setattr__(self, "_rates", {rate.zone: rate for rate in reversed(self.rates)})

    def area_for(self, province: str, city: str, district: str) -> Area | None:
        """The most specific coverage row that contains the address (district > city > province)."""
        province, city = place_key(province), city_key(city)
        areas = self._areas
        return (areas.get((province, city, district)) if district else None) or areas.get((province, city, "")) \
            or areas.get((province, "", ""))

    def rate_for(self, zone: str) -> Rate | None:
        return self._rates.get(zone)


@dataclass(frozen=True)
class Parcel:
    """What the choice needs to know about one order's parcel. `cod_amount` is what the courier collects
    (0 when prepaid)."""

    delivery_method: str
    province: str
    city: str
    district: str
    weight_kg: Decimal
    cod: bool = False
    cod_amount: Decimal = ZERO
    rush: bool = False


@dataclass(frozen=True)
class Outcomes:
    """Finished parcels over the measuring window: delivered, refused at the door, lost."""

    delivered: int = 0
    refused: int = 0
    lost: int = 0

    @property
    def total(self) -> int:
        return self.delivered + self.refused + self.lost

    def __add__(self, other: Outcomes) -> Outcomes:
        return Outcomes(self.delivered + other.delivered, self.refused + other.refused, self.lost + other.lost)


@dataclass(frozen=True)
class DeliveryStats:
    """Measured outcomes per (courier id, city_key(city)) and per courier nationally."""

    by_city: Mapping[tuple[int, str], Outcomes] = field(default_factory=dict)
    national: Mapping[int, Outcomes] = field(default_factory=dict)

    @classmethod
    def from_cities(cls, by_city: Mapping[tuple[int, str], Outcomes]) -> DeliveryStats:
        """National figures summed from the per-city ones."""
        national: dict[int, Outcomes] = {}
        cities: dict[tuple[int, str], Outcomes] = {}
        for (courier_id, city), outcomes in by_city.items():
            national[courier_id] = national.get(courier_id, Outcomes()) + outcomes
            key = (courier_id, city_key(city))
            cities[key] = cities.get(key, Outcomes()) + outcomes
        return cls(by_city=cities, national=national)


@dataclass(frozen=True)
class Policy:
    """The knobs of the choice.

    `prior_rate` and `prior_strength`: a courier's national rate starts at `prior_rate` as if it had
    delivered `prior_strength` parcels at that rate, and a city's rate starts at the courier's national
    rate with the same weight (a Beta prior with `prior_strength` pseudo-parcels). `lost_margin` is what a
    failed delivery costs beyond freight: packing, handling, the airtime share of a lost sale."""

    rush_max_days: int = 2
    prior_rate: Decimal = Decimal("0.80")
    prior_strength: int = 20
    lost_margin: Decimal = Decimal("30.00")
    few_parcels: int = 20  # under this many parcels in the city, the reason says the rate is an estimate


# ---------------------------------------------------------------- results

@dataclass(frozen=True)
class Option:
    """An eligible courier priced for the parcel. `success_rate` is the estimated P(delivered) in the
    city; `expected_cost` = freight + cod_fee + (1 − success_rate) × refusal_cost, in yuan."""

    courier_id: int
    name: str
    zone: str
    delivery_days: int
    weight_kg: Decimal
    freight: Decimal
    cod_fee: Decimal
    success_rate: Decimal
    city_parcels: int
    refusal_cost: Decimal
    expected_cost: Decimal
    reason: str


@dataclass(frozen=True)
class Rejection:
    """A courier that may not carry the parcel, and why in words. `option` is its price when it can be
    computed (coverage and a rate exist), so that a forced override still knows the freight."""

    courier_id: int
    name: str
    reason: str
    stage: int
    option: Option | None = None


@dataclass(frozen=True)
class Choice:
    """The chosen courier (None when none may carry the parcel, with `problem` saying why), the
    runner-up, every eligible option best first and every rejected courier with its reason."""

    chosen: Option | None
    runner_up: Option | None
    options: tuple[Option, ...] = ()
    rejected: tuple[Rejection, ...] = ()
    problem: str = ""
    overridden: bool = False

    @property
    def reason(self) -> str:
        return self.chosen.reason if self.chosen is not None else self.problem


class NotEligible(ValueError):
    """An override named a courier that may not carry the parcel (or is unknown); the message says why."""


# ---------------------------------------------------------------- freight

def parcel_weight(real_kg: Decimal, volume_cm3: int | Decimal) -> Decimal:
    """The weight couriers charge: the larger of the real and the volumetric weight, up to the next 0.1 kg."""
    volumetric = Decimal(volume_cm3) / VOLUMETRIC_DIVISOR
    return max(Decimal(real_kg), volumetric).quantize(TENTH, rounding=ROUND_CEILING)


def freight_for(rate: Rate, weight_kg: Decimal) -> Decimal:
    """The first weight's fee, plus one step fee for each started step beyond it."""
    extra = Decimal(weight_kg) - rate.first_weight_kg
    steps = (extra / rate.step_kg).to_integral_value(rounding=ROUND_CEILING) if extra > 0 and rate.step_kg > 0 \
        else Decimal(0)
    return yuan(rate.first_fee + steps * rate.step_fee)


def cod_fee_for(courier: CourierTerms, amount: Decimal) -> Decimal:
    """The courier's fee for collecting `amount`: a percentage, never less than its minimum."""
    return yuan(max(amount * courier.cod_fee_percent / 100, courier.cod_fee_min))


def success_rate(outcomes: Outcomes, prior: Decimal, strength: int) -> Decimal:
    """delivered ÷ finished, shrunk towards `prior` as if `strength` more parcels had gone at that rate."""
    if outcomes.total + strength == 0:
        return prior
    return (outcomes.delivered + prior * strength) / (outcomes.total + strength)


# ---------------------------------------------------------------- the choice

def choose_courier(parcel: Parcel, couriers: Sequence[CourierTerms], stats: DeliveryStats | None = None,
                   policy: Policy | None = None) -> Choice:
    """Choose the courier with the lowest expected cost among those that may carry the parcel.

    Ties (to the fen) go to the higher success rate, then fewer delivery days, then name, then id."""
    stats, policy, words = stats or DeliveryStats(), policy or Policy(), _words()
    kinds = KINDS_FOR_METHOD.get(parcel.delivery_method, frozenset())
    options: list[Option] = []
    rejected: list[Rejection] = []
    for courier in couriers:
        if courier.kind not in kinds:
            rejected.append(Rejection(courier.id, courier.name, words.method, STAGE_METHOD))
            continue
        area = courier.area_for(parcel.province, parcel.city, parcel.district)
        option = _price(courier, area, parcel, stats, policy, words) if area is not None else None
        refusal = _refusal(courier, area, parcel, option, policy, words)
        if refusal is None and option is not None:
            options.append(option)
        elif refusal is not None:
            rejected.append(Rejection(courier.id, courier.name, refusal[1], refusal[0], option))
    options.sort(key=_rank)
    if not options and parcel.rush:
        return _fastest_for_rush(parcel, rejected, policy, words)
    if not options:
        return Choice(None, None, rejected=tuple(rejected), problem=_problem(parcel, rejected, policy))
    return Choice(options[0], options[1] if len(options) > 1 else None, tuple(options), tuple(rejected))


def _fastest_for_rush(parcel: Parcel, rejected: list[Rejection], policy: Policy, words: _Words) -> Choice:
    """A rush order nobody can bring in time still ships: with the fastest courier that may carry it
    otherwise, and a reason that says so (holding it back would only make it later)."""
    slow = sorted((r.option for r in rejected if r.stage == STAGE_RUSH and r.option is not None),
                  key=lambda option: (option.delivery_days, *_rank(option)))
    if not slow:
        return Choice(None, None, rejected=tuple(rejected), problem=_problem(parcel, rejected, policy))
    note = words.rush_fallback % {"max": policy.rush_max_days}
    chosen = dataclasses.replace(slow[0], reason=(note + slow[0].reason)[:300])
    return Choice(chosen, slow[1] if len(slow) > 1 else None, tuple(slow), tuple(rejected))


def _rank(option: Option) -> tuple[Decimal, Decimal, int, str, int]:
    return option.expected_cost, -option.success_rate, option.delivery_days, option.name, option.courier_id


def _refusal(courier: CourierTerms, area: Area | None, parcel: Parcel, option: Option | None, policy: Policy,
             words: _Words) -> tuple[int, str] | None:
    """(stage, reason) of the first rule after the delivery method that the courier fails, or None when
    it may carry the parcel."""
    if not courier.active:
        return STAGE_ACTIVE, words.inactive
    if area is None:
        return STAGE_COVERAGE, words.not_covered % {"area": _area_text(parcel)}
    if parcel.cod:
        if not courier.cod_supported:
            return STAGE_COD, words.no_cod
        if not area.cod_allowed:
            return STAGE_COD, words.no_cod_here % {"area": _area_text(parcel)}
        if courier.cod_max is not None and parcel.cod_amount > courier.cod_max:
            return STAGE_COD, words.cod_max % {"max": money_text(courier.cod_max)}
    if parcel.rush and area.delivery_days > policy.rush_max_days:
        return STAGE_RUSH, words.rush % {"days": area.delivery_days, "max": policy.rush_max_days}
    if option is None:
        return STAGE_RATE, words.no_rate % {"zone": area.zone or "—"}
    return None


def _price(courier: CourierTerms, area: Area, parcel: Parcel, stats: DeliveryStats, policy: Policy,
           words: _Words) -> Option | None:
    """The courier's option for the parcel in `area`, whether or not it is eligible; None without a rate."""
    rate = courier.rate_for(area.zone)
    if rate is None:
        return None
    freight = freight_for(rate, parcel.weight_kg)
    cod_fee = cod_fee_for(courier, parcel.cod_amount) if parcel.cod else ZERO
    national = success_rate(stats.national.get(courier.id, Outcomes()), policy.prior_rate, policy.prior_strength)
    city = stats.by_city.get((courier.id, city_key(parcel.city)), Outcomes())
    rate_here = success_rate(city, national, policy.prior_strength)
    refusal_cost = yuan(freight * (1 + courier.return_freight_percent / 100) + policy.lost_margin)
    expected = yuan(freight + cod_fee + (1 - rate_here) * refusal_cost)
    reason = _reason(courier.name, area.delivery_days, freight, rate_here, city.total < policy.few_parcels, parcel,
                     words)
    return Option(courier.id, courier.name, area.zone, area.delivery_days, parcel.weight_kg, freight, cod_fee,
                  rate_here, city.total, refusal_cost, expected, reason)


def _reason(name: str, days: int, freight: Decimal, rate: Decimal, few: bool, parcel: Parcel,
            words: _Words) -> str:
    """"EMS: 覆盖, 货到付款, 本市签收率 91 %, 运费 ¥12" from translated pieces."""
    percent = int((rate * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    facts = [words.covered]
    if parcel.cod:
        facts.append(words.cod)
    if parcel.rush:
        facts.append(words.days % {"days": days})
    facts.append((words.rate_few if few else words.rate) % {"rate": percent})
    facts.append(words.freight % {"amount": money_text(freight)})
    return words.reason % {"courier": name, "facts": ", ".join(facts)}


@dataclass(frozen=True)
class _Words:
    """The choice's words in one language. Looked up once per language and kept: for 10,000 orders,
    gettext per courier and order cost more than the choice itself."""

    method: str
    inactive: str
    not_covered: str
    no_cod: str
    no_cod_here: str
    cod_max: str
    rush: str
    no_rate: str
    covered: str
    cod: str
    days: str
    rate_few: str
    rate: str
    freight: str
    reason: str
    rush_fallback: str


_WORDS: dict[str, _Words] = {}


def _words() -> _Words:
    language = get_language() or ""
    words = _WORDS.get(language)
    if words is None:
        words = _WORDS[language] = _Words(
            method=_("does not carry this delivery method"),
            inactive=pgettext("courier choice", "not active"),
            not_covered=_("does not deliver to %(area)s"),
            no_cod=pgettext("courier choice", "no cash on delivery"),
            no_cod_here=_("no cash on delivery in %(area)s"),
            cod_max=_("cash on delivery only up to %(max)s"),
            rush=_("%(days)d delivery days; a rush order needs at most %(max)d"),
            no_rate=_("no price for zone %(zone)s"),
            covered=pgettext("courier choice", "covered"),
            cod=pgettext("courier choice", "cash on delivery"),
            days=_("%(days)d-day delivery"),
            rate_few=_("local delivery rate about %(rate)d %% (few parcels)"),
            rate=_("local delivery rate %(rate)d %%"),
            freight=_("freight %(amount)s"),
            reason=_("%(courier)s: %(facts)s"),
            rush_fallback=_("no courier delivers a rush order here within %(max)d days, the fastest: "))
    return words


def _problem(parcel: Parcel, rejected: Sequence[Rejection], policy: Policy) -> str:
    """Why no courier may carry the parcel, from the rule that stopped the courier that got furthest."""
    if parcel.delivery_method == "pickup":
        return _("Self pickup: no courier is needed.")
    stage = max((rejection.stage for rejection in rejected), default=STAGE_METHOD)
    area = _area_text(parcel)
    messages = {
        STAGE_METHOD: _("No courier carries this delivery method."),
        STAGE_ACTIVE: _("No active courier carries this delivery method."),
        STAGE_COVERAGE: _("No courier delivers to %(area)s.") % {"area": area},
        STAGE_COD: _("No courier offers cash on delivery for this order in %(area)s.") % {"area": area},
        STAGE_RUSH: _("No courier delivers to %(area)s within %(max)d days.") % {"area": area,
                                                                                 "max": policy.rush_max_days},
        STAGE_RATE: _("No courier has a price for %(area)s.") % {"area": area},
    }
    return messages[stage]


def _area_text(parcel: Parcel) -> str:
    city = "" if parcel.city == parcel.province else parcel.city
    return f"{parcel.province}{city}{parcel.district}" or "—"


def money_text(amount: Decimal) -> str:
    """¥12 for whole yuan, ¥12.50 otherwise, with thousands separators (¥1,280)."""
    amount = yuan(amount)
    return f"¥{amount:,.0f}" if amount == amount.to_integral_value() else f"¥{amount:,.2f}"


# ---------------------------------------------------------------- override

def override(choice: Choice, courier_id: int, *, force: bool = False) -> Choice:
    """The choice with `courier_id` chosen by hand, priced as computed; the automatic choice becomes the
    runner-up. A courier that may not carry the parcel is refused with its reason (NotEligible) unless
    `force`, and even then only when its price is known (it delivers there in the order's delivery method)."""
    option = next((option for option in choice.options if option.courier_id == courier_id), None)
    if option is None:
        rejection = next((item for item in choice.rejected if item.courier_id == courier_id), None)
        if rejection is None:
            raise NotEligible(_("Unknown courier."))
        if not force:
            raise NotEligible(_("%(courier)s: %(reason)s") % {"courier": rejection.name,
                                                                "reason": rejection.reason})
        if rejection.option is None:  # no price without coverage and a rate, nor for another delivery method
            raise NotEligible(_("%(courier)s: %(reason)s") % {"courier": rejection.name, "reason": rejection.reason})
        option = rejection.option
    previous = choice.chosen if choice.chosen is not None and choice.chosen.courier_id != courier_id \
        else choice.runner_up
    return dataclasses.replace(choice, chosen=option, runner_up=previous, problem="", overridden=True)
