"""Money is Decimal yuan rounded half up to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hotline.lib.money import CENT, ZERO, yuan


@pytest.mark.parametrize(("value", "rounded"), [
    ("1.005", "1.01"), ("1.004", "1.00"), ("2.675", "2.68"), ("-1.005", "-1.01"), (3, "3.00"), ("0", "0.00"),
    (Decimal("19.999"), "20.00"),
])
def test_yuan_rounds_half_up(value: object, rounded: str) -> None:
    result = yuan(value)  # type: ignore[arg-type]
    assert isinstance(result, Decimal)
    assert str(result) == rounded


def test_constants() -> None:
    assert (str(CENT), str(ZERO)) == ("0.01", "0.00")
