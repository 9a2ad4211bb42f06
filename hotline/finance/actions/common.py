"""What the finance actions share: the permission check, the `by` column, and amounts checked as money."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from hotline.accounts.audit import user_or_none
from hotline.accounts.permissions import require_perm
from hotline.lib.money import CENT

require = require_perm
__all__ = ["LARGEST", "positive_amount", "require", "user_or_none"]
LARGEST = Decimal("9999999999.99")  # what a MONEY column holds


def positive_amount(value: Any, field: str = "amount") -> Decimal:
    """A positive amount of yuan with at most two decimals, or a ValidationError on `field`."""
    try:
        amount = Decimal(str(value).strip().replace(",", "").lstrip("¥￥"))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("“%(value)s” is not an amount of money.") % {"value": value}}) from None
    if not amount.is_finite():
        raise ValidationError({field: _("“%(value)s” is not an amount of money.") % {"value": value}})
    if amount <= 0:
        raise ValidationError({field: _("The amount must be more than zero.")})
    if amount > LARGEST:  # before quantize, which cannot hold 1e30
        raise ValidationError({field: _("The amount is too large.")})
    if amount != amount.quantize(CENT):
        raise ValidationError({field: _("At most two decimal places (fen).")})
    return amount.quantize(CENT)
