"""An order's money in one place: what the customer owes for it, what was paid, what was refunded.

`balance_of`, `balances_for` and `balances_for_rows` are the only code that adds an order's money rows up;
screens, actions, the receivables and the daily close ask them (or apply the same rule in SQL, tested against
them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from hotline.finance.models import Payment, Refund
from hotline.lib.money import CENT, ZERO
from hotline.orders.models import Order, Status

# An order in these states charges the customer nothing: the goods never reached them or came back.
NOTHING_CHARGED = frozenset({Status.CANCELLED, Status.REFUSED, Status.RETURNED})


@dataclass(frozen=True)
class Balance:
    """An order's money: `charge` is what the customer owes for it in its present state (its total, or
    nothing once cancelled, refused or returned); `due` is what is still to come in (negative: what we owe
    the customer back)."""

    charge: Decimal
    paid: Decimal
    refunded: Decimal

    @property
    def received(self) -> Decimal:
        """Kept: paid less refunded."""
        return self.paid - self.refunded

    @property
    def due(self) -> Decimal:
        return self.charge - self.received

    @property
    def is_paid(self) -> bool:
        """Paid in full (an order of ¥0, such as an exchange's replacement, is paid)."""
        return self.received >= self.charge

    @property
    def refundable(self) -> Decimal:
        """What may still be refunded: what was kept beyond the charge."""
        return max(self.received - self.charge, ZERO)


def charge_of(status: str, total: Decimal) -> Decimal:
    return ZERO if status in NOTHING_CHARGED else total


def balance_of(order: Order) -> Balance:
    """The order's balance from its payment and refund rows, as they are now."""
    return balances_for([order])[order.pk]


def balances_for(orders: Iterable[Order]) -> dict[int, Balance]:
    """Balances of many orders with two queries: {order id: Balance}."""
    return balances_for_rows((order.pk, order.status, order.total) for order in orders)


def balances_for_rows(rows: Iterable[tuple[int, str, Decimal]]) -> dict[int, Balance]:
    """Balances from (order id, status, total) rows, as `balances_for` (two queries): for code that reads
    orders as values, not model instances."""
    rows = list(rows)
    ids = [order_id for order_id, _status, _total in rows]
    paid = _sums(Payment, ids)
    refunded = _sums(Refund, ids)
    return {order_id: Balance(charge_of(status, total), paid.get(order_id, ZERO), refunded.get(order_id, ZERO))
            for order_id, status, total in rows}


CHUNK = 5000  # ids per query: SQLite caps the parameters of one statement


def _sums(model: type[Payment] | type[Refund], ids: list[int]) -> dict[int, Decimal]:
    sums: dict[int, Decimal] = {}
    for start in range(0, len(ids), CHUNK):
        rows = (model.objects.filter(order_id__in=ids[start:start + CHUNK]).values("order_id")
                .annotate(total=Sum("amount")).order_by())
        sums.update({row["order_id"]: Decimal(row["total"]).quantize(CENT) for row in rows})  # SQLite drops places
    return sums
