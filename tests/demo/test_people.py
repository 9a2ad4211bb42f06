"""Demo customers: real prefixes whose region matches their address, distinct numbers, parseable addresses."""

from __future__ import annotations

import random

import pytest

from hotline.crm.models import Address, Customer, CustomerPhone, Gender, Level
from hotline.demo.people import PhoneSpace
from hotline.demo.prefixes import LANDLINE, MOBILE
from hotline.demo.regions import cities
from hotline.lib.addresses import parse_address
from hotline.lib.phones import normalize_phone, phone_info
from tests.demo.conftest import SMALL


@pytest.mark.parametrize("city", sorted(MOBILE))
def test_every_prefix_is_in_its_city(city):
    for prefix, carrier in MOBILE[city]:
        info = phone_info(prefix + "0000")
        assert (info.kind, info.city, info.carrier) == ("mobile", city, carrier)


@pytest.mark.parametrize("city", sorted(LANDLINE))
def test_landline_patterns_are_valid_numbers_of_the_city(city):
    area, lead, length, postcode = LANDLINE[city]
    rng = random.Random(city)
    region = phone_info(area + lead + "0" * (length - 1))
    for _ in range(20):
        number = area + lead + "".join(rng.choices("0123456789", k=length - 1))
        assert normalize_phone(number) == number
        assert phone_info(number) == region.__class__(number, "landline", region.province, region.city, "")
    assert len(postcode) == 6


def test_every_city_of_the_table_has_prefixes_and_a_landline():
    names = {city.name for city in cities()}

    assert names == set(MOBILE) == set(LANDLINE)


def test_phone_space_gives_distinct_numbers_and_spreads_them():
    space = PhoneSpace(seed=3)
    numbers = [space.mobile(index)[0] for index in range(20_000)]

    assert len(set(numbers)) == len(numbers)
    assert len({space.mobile(index)[2].name for index in range(500)}) > 40


def test_customers_have_valid_numbers_whose_region_matches_the_stored_one(demo):
    phones = list(CustomerPhone.objects.all())

    assert len({p.number for p in phones if p.kind == "mobile"}) == SMALL.customers + 1  # and the showcase number
    for phone in phones:
        info = phone_info(normalize_phone(phone.number))
        assert normalize_phone(phone.number) == phone.number
        assert (phone.kind, phone.province, phone.city, phone.carrier) == \
            (info.kind, info.province, info.city, info.carrier)
    assert CustomerPhone.objects.filter(kind="landline").exists()
    assert CustomerPhone.objects.filter(is_primary=True).count() == SMALL.customers


def test_addresses_are_in_the_city_of_the_mobile_number_and_parse_as_stored(demo):
    for address in Address.objects.filter(is_default=True).select_related("customer")[:60]:
        mobile = address.customer.phones.get(is_primary=True)
        parsed = parse_address(address.raw)
        assert (address.province, address.city) == (mobile.province, mobile.city)
        assert (parsed.province, parsed.city, parsed.district) == (address.province, address.city, address.district)
        assert address.raw.endswith(address.detail)
        assert address.full_text == f"{parsed.province}{'' if parsed.city == parsed.province else parsed.city}" \
                                   f"{parsed.district}{address.detail}"
    assert Address.objects.filter(is_default=True).count() == SMALL.customers


def test_customers_look_like_a_tv_shopping_audience(demo):
    customers = Customer.objects.all()

    assert {c.gender for c in customers} == {Gender.FEMALE, Gender.MALE, Gender.UNKNOWN}
    assert all(2 <= len(c.name) <= 4 for c in customers)
    assert customers.filter(level=Level.VIP).exists()
    assert customers.filter(birthday_lunar=True).exists()
    members = [c.member_no for c in customers if c.member_no]
    assert len(members) == len(set(members)) > 0


def test_a_seed_gives_the_same_customers_whatever_the_orders_and_the_moment():
    import datetime

    from hotline.demo.people import CustomerFacts, CustomerGenerator

    early = CustomerGenerator(seed=9, now=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    late = CustomerGenerator(seed=9, now=datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC))
    facts = CustomerFacts(datetime.datetime(2026, 5, 30, tzinfo=datetime.UTC), first_airing_id=3, points=40)

    def content(rows):  # type: ignore[no-untyped-def]
        return (rows.customer.name, rows.customer.member_no, [p.number for p in rows.phones],
                [a.raw for a in rows.addresses])

    for index in range(300):
        ordered = late.build(index, facts if index % 3 == 0 else None)
        assert content(early.build(index, None)) == content(ordered)
