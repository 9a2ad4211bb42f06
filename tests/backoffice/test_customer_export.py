"""Customer export is for managers and admins only, and every export is in the audit log with its rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from hotline.accounts.models import AuditEntry
from hotline.crm.models import Customer
from tests import factories
from tests.backoffice.helpers import admin_url, read_xlsx


@pytest.fixture
def base(world: Any) -> Any:
    """Three customers in all."""
    factories.make_customer("张伟", phone="13900001111")
    factories.make_customer("李娜", phone="13900002222")
    return world


@pytest.mark.parametrize("role", ["supervisor", "logistics", "finance"])
def test_roles_without_the_permission_cannot_export_customers(base: Any, role: str,
                                                              client_as: Callable[[str | None], Client]) -> None:
    client = client_as(role)
    before = AuditEntry.objects.count()
    assert client.get(admin_url("crm/customer", "export"), {"format": "csv"}).status_code == 403
    selected = client.post(admin_url("crm/customer"), {
        "action": "export_csv", "index": "0", "_selected_action": list(Customer.objects.values_list("pk", flat=True))})
    assert "Content-Disposition" not in selected
    listing = client.get(admin_url("crm/customer")).content.decode()
    assert admin_url("crm/customer", "export") not in listing
    assert AuditEntry.objects.count() == before


def test_anonymous_is_sent_to_sign_in(base: Any, client_as: Callable[[str | None], Client]) -> None:
    response = client_as(None).get(admin_url("crm/customer", "export"), {"format": "csv"})
    assert response.status_code == 302 and "Content-Disposition" not in response


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_export_and_the_export_is_audited(base: Any, users: dict[str, Any], role: str,
                                                              client_as: Callable[[str | None], Client]) -> None:
    response = client_as(role).get(admin_url("crm/customer", "export"), {"format": "xlsx"})
    assert len(read_xlsx(response.content)) == 1 + 3
    entry = AuditEntry.objects.get(action="export")
    assert (entry.actor, entry.object_type, entry.after) == (users[role], "crm.customer",
                                                             {"rows": 3, "format": "xlsx"})


def test_an_export_of_a_selection_is_audited_with_its_rows(world: Any, users: dict[str, Any],
                                                           client_as: Callable[[str | None], Client]) -> None:
    client_as("manager").post(admin_url("catalog/product"), {
        "action": "export_csv", "index": "0", "_selected_action": [world.extra.pk, world.gift.pk]})
    entry = AuditEntry.objects.get(action="export")
    assert (entry.actor, entry.object_type, entry.after) == (users["manager"], "catalog.product",
                                                             {"rows": 2, "format": "csv"})
