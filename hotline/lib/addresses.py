"""Free-text Chinese addresses parsed into province / city / district offline (cpca's region table)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from hotline.lib.phones import short_province


@dataclass(frozen=True)
class ParsedAddress:
    """The parts of an address; `detail` is what follows the district (street, building, room)."""

    province: str
    city: str
    district: str
    detail: str
    adcode: str = ""


@lru_cache(maxsize=1)
def _cpca() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cpca loads its table with the deprecated pkg_resources
        import cpca
    return cpca


def parse_address(text: str) -> ParsedAddress:
    """Split a typed address; parts that cannot be recognised are left empty, the text is kept."""
    text = " ".join(text.split())
    frame = _cpca().transform([text])
    row = frame.iloc[0]
    province = _clean(row["省"])
    city = _clean(row["市"])
    if city == "市辖区":  # municipalities: cpca names the city level "市辖区"
        city = province
    return ParsedAddress(
        province=short_province(province),
        city=city.removesuffix("市") if city.endswith("市") else city,
        district=_clean(row["区"]),
        detail=_clean(row["地址"]) or text,
        adcode=_clean(row["adcode"]),
    )


def _clean(value: object) -> str:
    if value is None or (isinstance(value, float)):  # pandas gives NaN for missing parts
        return ""
    return str(value).strip()
