"""Open items (未达账项) are resolved with a note of how, once (a second clerk is told), by finance only, and
can be opened again with a reason; every change is audited."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hotline.accounts.models import AuditEntry
from hotline.finance.actions.open_items import do_reopen_open_item, do_resolve_open_item
from hotline.finance.models import OpenItem, OpenItemKind, OpenItemStatus
from tests import factories
from tests.logistics.world import make_courier

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
D = Decimal


@pytest.fixture
def item() -> OpenItem:
    """A short payment found on a statement (written directly: the remittance import is tested elsewhere)."""
    courier = make_courier("ems", "EMS", "ems", "A", "12.00", "3.00", [])
    return OpenItem.objects.create(courier=courier, kind=OpenItemKind.SHORT, tracking_number="EA000000001CN",
                                   amount=D("96.00"), detail="代收 ¥700.00，应收 ¥796.00")


@pytest.fixture
def cashier() -> Any:
    return factories.make_user("finance", "cashier")


def stored(item: OpenItem) -> tuple[Any, ...]:
    return OpenItem.objects.filter(pk=item.pk).values_list(
        "status", "resolution", "resolved_at", "resolved_by", "amount").get()


def test_an_open_item_is_resolved_with_its_note(item: OpenItem, cashier: Any) -> None:
    resolved = do_resolve_open_item(item, resolution="  EMS paid the ¥96 on statement 2026-12B  ", actor=cashier)

    status, resolution, at, by, amount = stored(item)
    assert (status, resolution, by, amount) == (
        OpenItemStatus.RESOLVED, "EMS paid the ¥96 on statement 2026-12B", cashier.pk, D("96.00"))
    assert at == resolved.resolved_at and at is not None
    entry = AuditEntry.objects.get(action="resolve_open_item")
    assert (entry.actor, entry.object_type, entry.object_id) == (cashier, "finance.openitem", str(item.pk))
    before, after = entry.before or {}, entry.after or {}
    assert (before["status"], after["status"], after["resolution"]) == (
        "open", "resolved", "EMS paid the ¥96 on statement 2026-12B")


def test_the_resolution_event_is_published_after_commit(item: OpenItem, cashier: Any, events: list[Any],
                                                        django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        do_resolve_open_item(item, resolution="paid", actor=cashier)
    assert ("finance.open_item", {"open_item_id": item.pk, "status": "resolved"}) in events


@pytest.mark.parametrize(("note", "error"), [
    ("", "Write how this difference was settled."),
    ("   ", "Write how this difference was settled."),
    ("x" * 301, "At most 300 characters."),
])
def test_a_resolution_needs_a_note_and_nothing_changes_without_one(item: OpenItem, cashier: Any, note: str,
                                                                   error: str) -> None:
    before = (stored(item), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as refused:
        do_resolve_open_item(item, resolution=note, actor=cashier)
    assert refused.value.message_dict == {"resolution": [error]}
    assert (stored(item), AuditEntry.objects.count()) == before


def test_an_item_is_resolved_once_and_the_first_note_stays(item: OpenItem, cashier: Any) -> None:
    do_resolve_open_item(item, resolution="courier paid", actor=cashier)
    before = (stored(item), AuditEntry.objects.count())
    second = factories.make_user("finance", "second_clerk")
    with pytest.raises(ValidationError) as refused:
        do_resolve_open_item(item, resolution="written off", actor=second)
    assert refused.value.messages == ["This open item was resolved already."]
    assert (stored(item), AuditEntry.objects.count()) == before


@pytest.mark.parametrize("role", ["agent", "logistics", "manager", "supervisor"])
def test_only_finance_resolves(item: OpenItem, users: dict[str, Any], role: str) -> None:
    before = (stored(item), AuditEntry.objects.count())
    with pytest.raises(PermissionDenied):
        do_resolve_open_item(item, resolution="paid", actor=users[role])
    with pytest.raises(PermissionDenied):
        do_reopen_open_item(item, reason="no", actor=users[role])
    assert (stored(item), AuditEntry.objects.count()) == before


def test_a_resolved_item_is_opened_again_with_a_reason(item: OpenItem, cashier: Any) -> None:
    do_resolve_open_item(item, resolution="courier paid", actor=cashier)

    do_reopen_open_item(item, reason="the bank never received it", actor=cashier)

    assert stored(item) == (OpenItemStatus.OPEN, "", None, None, D("96.00"))
    entry = AuditEntry.objects.get(action="reopen_open_item")
    before, after = entry.before or {}, entry.after or {}
    assert (before["resolution"], after["reason"], after["status"]) == (
        "courier paid", "the bank never received it", "open")
    do_resolve_open_item(item, resolution="paid at last", actor=cashier)
    assert stored(item)[:2] == (OpenItemStatus.RESOLVED, "paid at last")


def test_an_open_item_cannot_be_opened_again_nor_without_a_reason(item: OpenItem, cashier: Any) -> None:
    before = (stored(item), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as refused:
        do_reopen_open_item(item, reason="why not", actor=cashier)
    assert refused.value.messages == ["This open item is open already."]
    do_resolve_open_item(item, resolution="paid", actor=cashier)
    resolved = (stored(item), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as refused:
        do_reopen_open_item(item, reason=" ", actor=cashier)
    assert refused.value.message_dict == {"reason": ["Say why this item is open again."]}
    assert (stored(item), AuditEntry.objects.count()) == resolved
    assert before[0][0] == OpenItemStatus.OPEN
