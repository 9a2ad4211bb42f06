"""The places cpca knows (its table of administrative codes), to check coverage rows before they are saved.

Orders' addresses are parsed by cpca (`hotline.lib.addresses`), so a coverage row naming a place cpca does
not know could never match an order: refusing it at import tells the user of a typo instead of leaving a
row that silently covers nothing. Names are compared as the courier choice compares them (`place_key`,
`city_key`): `广东省` and `广东`, `深圳市` and `深圳` are the same place.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from hotline.logistics.choice import city_key, place_key

# cpca's city level of a municipality, and of counties governed by the province directly
_CITY_PLACEHOLDERS = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
MUNICIPALITY_CODES = frozenset({"11", "12", "31", "50"})


@dataclass
class Gazetteer:
    """Provinces by key, cities by province code, districts by city code and by province code."""

    provinces: dict[str, str] = field(default_factory=dict)  # place_key → 2-digit code
    cities: dict[str, dict[str, str]] = field(default_factory=dict)  # province code → {city_key: 4-digit code}
    districts: dict[str, set[str]] = field(default_factory=dict)  # 2- or 4-digit code → district names

    def province_code(self, province: str) -> str | None:
        return self.provinces.get(place_key(province))

    def knows_city(self, province_code: str, province: str, city: str) -> bool:
        """A city of the province; a municipality's city is the municipality itself (as orders have it)."""
        if province_code in MUNICIPALITY_CODES and place_key(city) == place_key(province):
            return True
        return city in _CITY_PLACEHOLDERS or city_key(city) in self.cities.get(province_code, {})

    def knows_district(self, province_code: str, city: str, district: str) -> bool:
        """A district of the city; of the province when the city is a municipality or a placeholder."""
        city_code = self.cities.get(province_code, {}).get(city_key(city)) if city else None
        if city_code is not None:
            return district in self.districts.get(city_code, set())
        return district in self.districts.get(province_code, set())


@functools.lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """cpca's table, read once (3,500 rows, a few milliseconds)."""
    places = Gazetteer()
    # found without importing cpca, which builds its whole address matcher on import
    spec = importlib.util.find_spec("cpca")
    if spec is None or spec.origin is None:
        raise ImproperlyConfigured("cpca is not installed")
    text = (Path(spec.origin).parent / "resources" / "adcodes.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(io.StringIO(text)):
        code, name = row["adcode"][:6], row["name"].strip()
        province, city, county = code[:2], code[2:4], code[4:6]
        if city == "00" and county == "00":
            places.provinces[place_key(name)] = province
        elif county == "00":
            if name not in _CITY_PLACEHOLDERS:
                places.cities.setdefault(province, {})[city_key(name)] = code[:4]
        else:
            places.districts.setdefault(code[:4], set()).add(name)
            places.districts.setdefault(province, set()).add(name)
    return places
