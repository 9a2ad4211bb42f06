"""Demo customers, generated one at a time so that a million of them fit in bounded memory.

A customer's mobile number decides where they live: it comes from a real prefix of a city in
`regions.py`, and their addresses are in that city. Numbers are distinct by construction (see
`PhoneSpace`), so no set of used numbers has to be kept.
"""

from __future__ import annotations

import datetime
import math
import random
from dataclasses import dataclass
from typing import Any

from hotline.crm.models import Address, Channel, Credit, Customer, CustomerPhone, Gender, Level
from hotline.demo import data
from hotline.demo.names import full_name
from hotline.demo.prefixes import LANDLINE, MOBILE
from hotline.demo.regions import ESTATES, STREETS, City, cities
from hotline.lib.phones import LANDLINE as LANDLINE_KIND
from hotline.lib.phones import MOBILE as MOBILE_KIND
from hotline.lib.phones import PhoneInfo, phone_info

SUFFIXES = 10_000  # a seven-digit prefix leaves four digits: 10,000 numbers
SECOND_ADDRESS_PLACES = ("单位", "女儿家", "儿子家", "老家")


@dataclass(frozen=True)
class CustomerFacts:
    """What the order plan decides about a customer before the customer is written."""

    created_at: datetime.datetime
    first_airing_id: int | None
    points: int


@dataclass(frozen=True)
class CustomerSnapshot:
    """What an order copies from its customer: name, primary number and default address."""

    id: int
    name: str
    phone: str
    province: str
    city: str
    district: str
    detail: str
    postcode: str


@dataclass
class CustomerRows:
    """One customer with their phone numbers and addresses, ready for bulk_create."""

    customer: Customer
    phones: list[CustomerPhone]
    addresses: list[Address]

    def snapshot(self) -> CustomerSnapshot:
        home = self.addresses[0]
        return CustomerSnapshot(self.customer.pk, self.customer.name, self.phones[0].number, home.province,
                                home.city, home.district, home.detail, home.postcode)


class PhoneSpace:
    """A one-to-one map from customer index to a mobile number on one of the demo prefixes.

    The slots (prefix, four-digit suffix) are visited in the order `step * index + offset` modulo their
    count; `step` is coprime with the count, so no two indexes share a number, and close to the golden
    ratio of it, so consecutive customers land on prefixes far apart (spread over all cities). Indexes at
    or above the number of customers give numbers that are certainly not in the data set.
    """

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"phones-{seed}")
        by_name = {city.name: city for city in cities()}
        self.prefixes = [(prefix, carrier, by_name[name]) for name, rows in MOBILE.items()
                         for prefix, carrier in rows]
        self.size = len(self.prefixes) * SUFFIXES
        self.step = _coprime_near(self.size, int(self.size * 0.6180339887))
        self.offset = rng.randrange(self.size)
        self.suffixes = list(range(SUFFIXES))
        rng.shuffle(self.suffixes)  # so that the last four digits do not count up visibly

    def mobile(self, index: int) -> tuple[str, str, City]:
        """(number, carrier, city) of customer `index`."""
        slot = (self.step * index + self.offset) % self.size
        prefix, carrier, city = self.prefixes[slot // SUFFIXES]
        return f"{prefix}{self.suffixes[slot % SUFFIXES]:04d}", carrier, city


def _coprime_near(size: int, target: int) -> int:
    step = target
    while math.gcd(step, size) != 1:
        step += 1
    return step


class CustomerGenerator:
    """Builds customer `index` (0-based; primary key `index + 1`). Call in index order: one seeded stream."""

    def __init__(self, seed: int, now: datetime.datetime) -> None:
        self.rng = random.Random(f"customers-{seed}")
        self.phones = PhoneSpace(seed)
        self.now = now
        # Landline regions come from libphonenumber by area code, once per city rather than once per row.
        self.landline_info: dict[str, PhoneInfo] = {
            name: phone_info(area + lead + "0" * (length - 1)) for name, (area, lead, length, _zip) in LANDLINE.items()
        }

    def build(self, index: int, facts: CustomerFacts | None) -> CustomerRows:
        rng = self.rng
        number, carrier, city = self.phones.mobile(index)
        gender = rng.choices((Gender.FEMALE, Gender.MALE, Gender.UNKNOWN), (58, 38, 4))[0]
        name = full_name(rng, gender)
        # Draw the same values whatever the order plan says, so that a seed gives the same customers
        # (names, numbers, addresses) at any size of order plan and at any moment of loading.
        joined = self.now - datetime.timedelta(seconds=int(rng.uniform(8 * 86400, 3 * 365 * 86400)))
        created = facts.created_at if facts else joined
        customer = Customer(id=index + 1, name=name, gender=gender, created_at=created, updated_at=created,
                            first_airing_id=facts.first_airing_id if facts else None,
                            **self._profile(index, facts))
        phones = [CustomerPhone(customer_id=customer.pk, number=number, kind=MOBILE_KIND, province=city.province,
                                city=city.name, carrier=carrier, is_primary=True)]
        if rng.random() < 0.2:
            phones.append(self._landline(customer.pk, city))
        if customer.notify_channel == Channel.FAX:
            customer.fax = phones[-1].number
        return CustomerRows(customer, phones, self._addresses(customer.pk, name, number, city))

    def _profile(self, index: int, facts: CustomerFacts | None) -> dict[str, Any]:
        """Birthday, level, membership, points, credit, contact preferences and notes."""
        rng = self.rng
        profile: dict[str, Any] = {}
        if rng.random() < 0.45:  # TV shoppers are mostly middle-aged and older
            year = self.now.year - int(rng.triangular(25, 88, 60))
            profile["birthday"] = datetime.date(year, rng.randint(1, 12), rng.randint(1, 28))
            profile["birthday_lunar"] = rng.random() < 0.2
        profile["level"] = Level.VIP if rng.random() < 0.05 else Level.NORMAL
        member = profile["level"] == Level.VIP or rng.random() < 0.2
        profile["member_no"] = f"M{index + 1:08d}" if member else None
        history = rng.randrange(0, 5000, 10)  # drawn for everyone: see `build`
        if not member or (facts and facts.first_airing_id):
            history = 0  # points from before the demo week only for members who were customers before it
        profile["points"] = history + (facts.points if facts else 0)
        profile.update(self._credit())
        profile.update(self._contact(index))
        if rng.random() < 0.03:
            profile["notes"] = rng.choice(data.CUSTOMER_NOTES)
        return profile

    def _credit(self) -> dict[str, Any]:
        draw = self.rng.random()
        if draw < 0.01:
            return {"credit": Credit.BAD, "credit_reason": self.rng.choice(data.BAD_REASONS)}
        if draw < 0.04:
            return {"credit": Credit.WATCH, "credit_reason": self.rng.choice(data.WATCH_REASONS)}
        return {"credit": Credit.GOOD}

    def _contact(self, index: int) -> dict[str, Any]:
        rng = self.rng
        contact: dict[str, Any] = {"notify_channel": Channel.SMS}
        if rng.random() < 0.08:
            contact["email"] = f"{100000 + index * 7 % 899999999}@{rng.choice(('qq.com', '163.com', '126.com'))}"
            if rng.random() < 0.5:
                contact["notify_channel"] = Channel.EMAIL
        draw = rng.random()
        if draw < 0.03:
            contact["notify_channel"] = Channel.VOICE  # older customers who do not read text messages
        elif draw < 0.035:
            contact["notify_channel"] = Channel.FAX
        elif draw < 0.045:
            contact["notify_channel"] = Channel.NONE
        return contact

    def _landline(self, customer_id: int, city: City) -> CustomerPhone:
        area, lead, length, _zip = LANDLINE[city.name]
        number = area + lead + "".join(self.rng.choices("0123456789", k=length - 1))
        info = self.landline_info[city.name]
        return CustomerPhone(customer_id=customer_id, number=number, kind=LANDLINE_KIND, province=info.province,
                             city=info.city, carrier=info.carrier, is_primary=False)

    def _addresses(self, customer_id: int, name: str, phone: str, city: City) -> list[Address]:
        rng = self.rng
        postcode = LANDLINE[city.name][3]
        detail = f"{rng.choice(STREETS)}{rng.randint(1, 999)}号"
        if rng.random() < 0.6:
            building, unit = rng.randint(1, 30), rng.randint(1, 4)
            detail += f"{rng.choice(ESTATES)}{building}栋{unit}单元{rng.randint(1, 30)}0{rng.randint(1, 4)}室"
        places = [(rng.choice(city.districts), detail, True)]
        if rng.random() < 0.12:
            other = f"{rng.choice(STREETS)}{rng.randint(1, 500)}号（{rng.choice(SECOND_ADDRESS_PLACES)}）"
            places.append((rng.choice(city.districts), other, False))
        return [Address(customer_id=customer_id, recipient=name, phone=phone, province=city.province,
                        city=city.name, district=district, detail=text, postcode=postcode,
                        raw=f"{city.address_prefix}{district}{text}", is_default=default)
                for district, text, default in places]
