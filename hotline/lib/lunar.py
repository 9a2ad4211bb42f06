"""Birthdays by the lunar calendar (农历生日), for customer-care lists and greetings.

A customer born on 腊月三十 celebrates on the last day of the twelfth month in years where that month
has only 29 days (the same rule is applied to the 30th of any month); one born in a leap month
celebrates in the ordinary month of that number, since most years have no such leap month.
"""

from __future__ import annotations

import datetime

from lunar_python import Lunar, LunarMonth, Solar


def lunar_month_day(solar: datetime.date) -> tuple[int, int]:
    """The lunar (month, day) of a solar date; a leap month is given as its ordinary number."""
    lunar = Solar.fromYmd(solar.year, solar.month, solar.day).getLunar()
    return abs(lunar.getMonth()), lunar.getDay()


def lunar_to_solar(lunar_year: int, month: int, day: int) -> datetime.date:
    """The solar date of a lunar day, moving the 30th to the 29th when that month is short."""
    day = min(day, LunarMonth.fromYm(lunar_year, month).getDayCount())
    solar = Lunar.fromYmd(lunar_year, month, day).getSolar()
    return datetime.date(solar.getYear(), solar.getMonth(), solar.getDay())


def next_birthday(birthday: datetime.date, lunar: bool, today: datetime.date) -> datetime.date:
    """The next date (today included) on which the customer celebrates their birthday."""
    if not lunar:
        return _next_solar_birthday(birthday, today)
    month, day = lunar_month_day(birthday)
    lunar_year = Solar.fromYmd(today.year, today.month, today.day).getLunar().getYear()
    for year in (lunar_year, lunar_year + 1):
        candidate = lunar_to_solar(year, month, day)
        if candidate >= today:
            return candidate
    raise AssertionError("a lunar birthday falls within two lunar years")  # pragma: no cover


def _next_solar_birthday(birthday: datetime.date, today: datetime.date) -> datetime.date:
    for year in (today.year, today.year + 1):
        try:
            candidate = birthday.replace(year=year)
        except ValueError:  # 29 February in a common year: celebrated on 28 February
            candidate = datetime.date(year, 2, 28)
        if candidate >= today:
            return candidate
    raise AssertionError("a solar birthday falls within two years")  # pragma: no cover
