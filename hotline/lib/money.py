"""Money is Decimal yuan with two places; these helpers keep every computation on that footing."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def yuan(value: Decimal | int | str) -> Decimal:
    """Round to cents, half up, as Chinese invoices do."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
