"""TextField lengths are enforced by model validation, not only by form widgets."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from hotline.catalog.models import Product, Supplier
from hotline.crm.models import Customer
from hotline.lib.text import check_text_lengths
from hotline.orders.models import Order


@pytest.mark.parametrize(("instance", "field", "limit"), [
    (Customer(name="王小明"), "notes", 4000),
    (Order(number="HL20261124-000001", recipient="王小明", recipient_phone="13800138000"), "notes", 1000),
    (Product(sku="S1", name="足浴盆", short_code="900", price=Decimal("299.00")), "description", 5000),
    (Supplier(name="某厂"), "notes", 2000),
])
def test_text_fields_are_held_to_their_max_length(instance: object, field: str, limit: int) -> None:
    setattr(instance, field, "长" * limit)
    check_text_lengths(instance)  # type: ignore[arg-type]
    setattr(instance, field, "长" * (limit + 1))
    with pytest.raises(ValidationError) as refused:
        check_text_lengths(instance)  # type: ignore[arg-type]
    assert refused.value.message_dict == {field: [f"At most {limit} characters."]}
    with pytest.raises(ValidationError) as cleaned:
        instance.clean()  # type: ignore[attr-defined]
    assert cleaned.value.message_dict == {field: [f"At most {limit} characters."]}
