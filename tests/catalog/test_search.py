"""Order-entry product search: short code, pinyin initials (every reading of a heteronym), name."""

from __future__ import annotations

import pytest

from hotline.catalog.models import SaleStatus, pinyin_initials
from hotline.catalog.queries import search_products
from tests.factories import make_product


def test_pinyin_initials_list_every_reading_most_common_first() -> None:
    # 颈 jǐng/gěng and 椎 chuí/zhuī each have two readings
    assert pinyin_initials("颈椎按摩仪") == "jcamy jzamy gcamy gzamy"
    assert pinyin_initials("护膝") == "hx"
    # Latin letters are kept, without the spaces between words
    assert pinyin_initials("iPhone 手机") == "iphonesj iphonesw"


@pytest.mark.django_db
def test_agent_finds_a_product_by_the_reading_they_know() -> None:
    # given a neck massager and a knee pad
    massager = make_product("颈椎按摩仪", short_code="101")
    make_product("护膝", short_code="102")
    # when the agent types the initials of 颈椎 as most people read it (jing zhui)
    found = search_products("jz")
    # then the massager is found
    assert [p.pk for p in found] == [massager.pk]


@pytest.mark.django_db
def test_exact_short_code_ranks_first_and_withdrawn_products_are_not_offered() -> None:
    # given products whose codes share a prefix, and a withdrawn one named like the term
    first = make_product("护膝", short_code="10")
    second = make_product("护腰", short_code="101")
    make_product("按摩椅10号", short_code="301", status=SaleStatus.WITHDRAWN)
    # when the agent types 10
    found = search_products("10")
    # then the exact code comes first, the prefix second, and the withdrawn one not at all
    assert [p.pk for p in found] == [first.pk, second.pk]
