"""Lunar birthdays: the 腊月三十 rule, leap months, and solar birthdays on 29 February."""

from __future__ import annotations

import datetime

import pytest

from hotline.lib.lunar import lunar_month_day, next_birthday

D = datetime.date
BORN_ON_LAST_DAY_OF_YEAR = D(1971, 1, 26)  # 腊月三十 of lunar 1970


def test_a_solar_date_has_its_lunar_month_and_day() -> None:
    assert lunar_month_day(BORN_ON_LAST_DAY_OF_YEAR) == (12, 30)
    assert lunar_month_day(D(2023, 4, 1)) == (2, 11)  # in the leap second month of 2023


@pytest.mark.parametrize(("today", "expected"), [
    # lunar 2026's twelfth month has 29 days: celebrated on 除夕, the eve of Spring Festival (6 Feb 2027)
    (D(2026, 11, 24), D(2027, 2, 5)),
    # lunar 2029's twelfth month has 30 days: 腊月三十 itself, the eve of Spring Festival (3 Feb 2030)
    (D(2029, 6, 1), D(2030, 2, 2)),
    # on the day itself, the birthday is today
    (D(2027, 2, 5), D(2027, 2, 5)),
])
def test_born_on_la_yue_san_shi(today: datetime.date, expected: datetime.date) -> None:
    assert next_birthday(BORN_ON_LAST_DAY_OF_YEAR, True, today) == expected


def test_born_in_a_leap_month_celebrates_in_the_ordinary_month() -> None:
    # lunar 2/11 of 2025 (10 Mar 2025) has passed on 1 Jan 2026's lunar year, so lunar 2026's 2/11
    assert next_birthday(D(2023, 4, 1), True, D(2026, 1, 1)) == D(2026, 3, 29)


@pytest.mark.parametrize(("birthday", "today", "expected"), [
    (D(1980, 11, 24), D(2026, 11, 24), D(2026, 11, 24)),
    (D(1980, 11, 23), D(2026, 11, 24), D(2027, 11, 23)),
    (D(1980, 2, 29), D(2026, 1, 1), D(2026, 2, 28)),
    (D(1980, 2, 29), D(2027, 3, 1), D(2028, 2, 29)),
])
def test_solar_birthdays(birthday: datetime.date, today: datetime.date, expected: datetime.date) -> None:
    assert next_birthday(birthday, False, today) == expected


def test_the_year_tables_agree_with_lunar_python() -> None:
    # the tables (one lunar_python call per lunar year) against lunar_python's own conversion: 300 days drawn
    # from 1901–2060, and both sides of every month start (leap months included) from 2015 to 2030
    import random

    from lunar_python import Lunar, LunarMonth, Solar

    from hotline.lib.lunar import _months_of, lunar_to_solar, lunar_year_of

    draw = random.Random(17)
    days = [datetime.date(1901, 3, 1) + datetime.timedelta(days=draw.randrange(58000)) for _ in range(300)]
    for year in range(2015, 2031):
        for start, _month, _days in _months_of(year):
            days += [datetime.date.fromordinal(start - 1), datetime.date.fromordinal(start)]
    for day in days:
        expected = Solar.fromYmd(day.year, day.month, day.day).getLunar()
        assert (lunar_year_of(day), *lunar_month_day(day)) == (
            expected.getYear(), abs(expected.getMonth()), expected.getDay()), day
    for year in range(1901, 2061, 29):
        for month in range(1, 13):
            last = LunarMonth.fromYm(year, month).getDayCount()
            for lunar_day in (1, 29, 30):
                solar = Lunar.fromYmd(year, month, min(lunar_day, last)).getSolar()
                assert lunar_to_solar(year, month, lunar_day) == datetime.date(
                    solar.getYear(), solar.getMonth(), solar.getDay())
