"""The `money` template filter: yuan to the fen with thousands separators, a true minus sign, a dash for
nothing known."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import engines

from hotline.finance.templatetags.finance_money import money


@pytest.mark.parametrize(("value", "shown"), [
    (Decimal("1234.56"), "¥1,234.56"),
    (Decimal("-1234.56"), "\u2212¥1,234.56"),
    (Decimal("1234567.5"), "¥1,234,567.50"),
    (Decimal("0.005"), "¥0.01"),  # half a fen rounds up, as hotline.lib.money.yuan does
    (Decimal("-0.00"), "¥0.00"),
    (Decimal("796"), "¥796.00"),
    ("-10.00", "\u2212¥10.00"),  # a job's JSON result keeps amounts as strings
    (12, "¥12.00"),
    (None, "—"),
    ("", "—"),
    ("n/a", "n/a"),
])
def test_money(value: object, shown: str) -> None:
    assert money(value) == shown


def test_the_filter_in_a_template() -> None:
    template = engines["django"].from_string("{% load finance_money %}{{ a|money }} {{ b|money }} {{ c|money }}")
    assert template.render({"a": Decimal("1686.00"), "b": Decimal("-4.00"), "c": None}) == "¥1,686.00 −¥4.00 —"
