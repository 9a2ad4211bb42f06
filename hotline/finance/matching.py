"""Matching a courier's remittance statement to our parcels, as a pure function (no database, no clock):
every line gets one outcome, the COD fee is checked against the courier's rule, and the totals are set
against the statement's own total and the bank receipt.

The rules, in the order they are applied to a line:
1. The parcel is found by its tracking number, else by its order number (a line may carry either).
   Not found, or found but carried by another courier → `unknown` (`other_parcel` says whose it is).
2. The same parcel on an earlier line of this statement → `duplicate` (the first line is classified).
3. Already remitted by an earlier statement (paid in full, or more), or its order already settled →
   `remitted`. A delivered parcel an earlier statement paid short is not remitted: the courier may pay the
   rest later (a top-up), and that line is matched against what is still due.
4. Delivered feedback recorded (even if the goods came back later) → `matched` when the amount collected is
   what is still due (the COD due less what was paid so far), `short` when less, `over` when more.
5. Refused, returning or returned without ever being delivered → `refused` (the courier says it collected).
6. Otherwise (shipped, on its way, lost) → `undelivered`: the delivered feedback is missing.

The fee rule is `hotline.logistics.choice.cod_fee_for`: the percentage of the amount collected, rounded to
the fen, never less than the minimum. It is checked (`fee_ok`) on the first line naming one of the courier's
parcels, unless that parcel was remitted before: a duplicate or remitted line is wrong as a whole, fee
included, so its fee is not a second difference (`expected_fee` is still given).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from hotline.finance.models import LineOutcome
from hotline.finance.statement_file import StatementLine
from hotline.lib.money import ZERO, yuan
from hotline.logistics.models import ShipmentStatus

Outcome = LineOutcome
# plain strings: an enum member's lookup costs more than the rest of a line's matching
MATCHED, SHORT, OVER, UNKNOWN, DUPLICATE, REMITTED, UNDELIVERED, REFUSED = (
    Outcome.MATCHED.value, Outcome.SHORT.value, Outcome.OVER.value, Outcome.UNKNOWN.value, Outcome.DUPLICATE.value,
    Outcome.REMITTED.value, Outcome.UNDELIVERED.value, Outcome.REFUSED.value)
REFUSED_STATUSES = frozenset({ShipmentStatus.REFUSED.value, ShipmentStatus.RETURNING.value,
                              ShipmentStatus.RETURNED.value})


@dataclass(frozen=True)
class Parcel:
    """What matching needs of a shipment and its order. `delivered`: delivered feedback was recorded (the
    shipment has a delivery time), whatever happened to the goods afterwards. `paid`: the COD payments
    received for it so far (net of corrections); a later line is expected to pay `cod_due − paid`."""

    shipment_id: int
    order_id: int
    order_number: str
    tracking_number: str
    courier_id: int
    status: str  # ShipmentStatus value
    order_status: str  # orders Status value
    cod_due: Decimal
    delivered: bool
    paid: Decimal = ZERO

    @property
    def still_due(self) -> Decimal:
        """What a statement line is expected to pay for it: the COD due less what was paid so far."""
        return self.cod_due - self.paid


@dataclass(frozen=True)
class FeeRule:
    """A courier's COD fee terms (Courier.cod_fee_percent, Courier.cod_fee_min)."""

    percent: Decimal
    minimum: Decimal

    def fee(self, collected: Decimal) -> Decimal:
        """The fee for collecting `collected`, as `hotline.logistics.choice.cod_fee_for` works it out."""
        return yuan(max(collected * self.percent / 100, self.minimum))


@dataclass(slots=True)
class LineMatch:
    """What matching made of one statement line. `parcel` is set when the line names one of this courier's
    parcels (then `expected` is what was still due for it, its COD due less what was paid — its COD due
    when remitted — and `expected_fee` the fee by the rule); `other_parcel` when it names another
    courier's. `difference` = collected − expected (0 without a parcel); `duplicate_of` is the line that
    first named the same parcel."""

    line: StatementLine
    outcome: str  # LineOutcome value
    parcel: Parcel | None
    expected: Decimal | None
    expected_fee: Decimal | None
    difference: Decimal
    fee_ok: bool
    other_parcel: Parcel | None = None
    duplicate_of: int | None = None

    @property
    def fee_difference(self) -> Decimal:
        """The fee charged less the fee by the rule (positive: the courier kept too much); 0 without a parcel."""
        return self.line.fee - self.expected_fee if self.expected_fee is not None else ZERO


@dataclass
class MatchReport:
    """A statement matched: every line's outcome and the totals. `bank_difference` = bank receipt − net
    total of the lines (negative: less reached the bank than the statement says; None without a receipt);
    `stated_difference` likewise for the statement's own total. `wrong_courier_id` names the courier whose
    parcels most of the known lines are, when that is not the statement's courier."""

    courier_id: int
    matches: list[LineMatch]
    collected_total: Decimal
    fee_total: Decimal
    net_total: Decimal
    stated_total: Decimal | None
    bank_total: Decimal | None
    bank_difference: Decimal | None
    wrong_courier_id: int | None
    stated_difference: Decimal | None = None

    def counts(self) -> dict[str, int]:
        """{outcome: lines} for the outcomes that occur, in LineOutcome's order."""
        found = Counter(match.outcome for match in self.matches)
        return {outcome: found[outcome] for outcome in Outcome.values if found[outcome]}

    def collected_by_outcome(self) -> dict[str, Decimal]:
        """{outcome: amount collected on its lines} for the outcomes that occur, in LineOutcome's order."""
        sums: dict[str, Decimal] = {}
        for match in self.matches:
            sums[match.outcome] = sums.get(match.outcome, ZERO) + match.line.collected
        return {outcome: sums[outcome] for outcome in Outcome.values if outcome in sums}

    def differences(self) -> list[LineMatch]:
        """The lines to look at: every outcome but matched, and matched lines whose fee breaks the rule."""
        return [match for match in self.matches if match.outcome != MATCHED or not match.fee_ok]

    def fee_differences(self) -> list[LineMatch]:
        """The lines whose COD fee is not the courier's rule."""
        return [match for match in self.matches if not match.fee_ok]


def match_statement(lines: Iterable[StatementLine], parcels: Mapping[str, Parcel],
                    by_order_number: Mapping[str, Parcel], remitted: set[int] | frozenset[int], courier_id: int,
                    fee: FeeRule, stated_total: Decimal | None = None,
                    bank_total: Decimal | None = None) -> MatchReport:
    """Match every line (see the module's docstring for the rules). `parcels` is keyed by normalised
    tracking number, `by_order_number` by order number (parcels of any courier); `remitted` holds the
    shipment ids already remitted (paid in full) or settled."""
    seen: dict[int, int] = {}  # shipment id -> the line that first named it
    owners: Counter[int] = Counter()  # courier id -> lines naming one of its parcels
    fees: dict[Decimal, Decimal] = {}  # amount collected -> fee by the rule (amounts repeat a lot)
    matches = []
    collected_total = fee_total = net_total = ZERO
    for line in lines:
        parcel = (parcels.get(line.tracking_number) if line.tracking_number else None) or (
            by_order_number.get(line.order_number) if line.order_number else None)
        collected_total += line.collected
        fee_total += line.fee
        net_total += line.net
        if parcel is None:
            matches.append(LineMatch(line, UNKNOWN, None, None, None, ZERO, True))
            continue
        owners[parcel.courier_id] += 1
        if parcel.courier_id != courier_id:
            matches.append(LineMatch(line, UNKNOWN, None, None, None, ZERO, True, other_parcel=parcel))
            continue
        expected_fee = fees.get(line.collected)
        if expected_fee is None:
            expected_fee = fees[line.collected] = fee.fee(line.collected)
        duplicate_of = seen.get(parcel.shipment_id)
        if duplicate_of is None:
            seen[parcel.shipment_id] = line.line
        outcome = DUPLICATE if duplicate_of is not None else _outcome(line, parcel, remitted)
        fee_ok = line.fee == expected_fee or outcome in (DUPLICATE, REMITTED)
        due = parcel.cod_due if outcome == REMITTED else parcel.still_due  # remitted: the line is wrong as a whole
        matches.append(LineMatch(line, outcome, parcel, due, expected_fee, line.collected - due, fee_ok,
                                 duplicate_of=duplicate_of))
    return MatchReport(
        courier_id=courier_id, matches=matches, collected_total=collected_total, fee_total=fee_total,
        net_total=net_total, stated_total=stated_total, bank_total=bank_total,
        bank_difference=None if bank_total is None else bank_total - net_total,
        stated_difference=None if stated_total is None else stated_total - net_total,
        wrong_courier_id=_wrong_courier(owners, courier_id))


def _outcome(line: StatementLine, parcel: Parcel, remitted: set[int] | frozenset[int]) -> str:
    """The outcome of the first line naming one of this courier's parcels."""
    if parcel.shipment_id in remitted:
        return REMITTED
    if parcel.delivered:
        due = parcel.still_due
        if line.collected == due:
            return MATCHED
        return SHORT if line.collected < due else OVER
    if parcel.status in REFUSED_STATUSES:
        return REFUSED
    return UNDELIVERED


def _wrong_courier(owners: Counter[int], courier_id: int) -> int | None:
    """Another courier whose parcels are more than half of the lines naming a known parcel."""
    known = sum(owners.values())
    for other, lines in owners.most_common(2):
        if other != courier_id and lines * 2 > known:
            return other
    return None
