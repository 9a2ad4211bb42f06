"""Every back-office screen as anonymous, as each role without permission, and with permission.

The expected sets below are written out by hand from docs/permissions.md, not derived from the code,
so that a change in the role matrix shows up here as a deliberate edit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client

from hotline.accounts.models import AuditEntry
from tests.backoffice.helpers import admin_url
from tests.conftest import ROLES
from tests.logistics.test_admin import CONFIG as LOGISTICS_CONFIG
from tests.logistics.test_admin import RECORDS as LOGISTICS_RECORDS

BACK_OFFICE = {"supervisor", "logistics", "finance", "manager", "admin"}
CAN_VIEW = {
    "accounts/user": {"admin"},
    "accounts/apitoken": {"admin"},
    "accounts/auditentry": {"manager", "admin"},
    "accounts/signinthrottle": {"admin"},
    "crm/customer": {"supervisor", "logistics", "finance", "manager", "admin"},
    "crm/blacklistentry": {"supervisor", "manager", "admin"},
    "catalog/product": {"supervisor", "logistics", "finance", "manager", "admin"},
    "catalog/supplier": {"logistics", "finance", "manager", "admin"},
    "media/station": {"supervisor", "finance", "manager", "admin"},
    "media/hotlinenumber": {"supervisor", "finance", "manager", "admin"},
    "media/airing": {"supervisor", "finance", "manager", "admin"},
    "orders/order": {"supervisor", "logistics", "finance", "manager", "admin"},
    "notify/notification": {"supervisor", "logistics", "manager", "admin"},
    "calls/callrecord": {"supervisor", "manager", "admin"},
    "calls/callevent": {"supervisor", "manager", "admin"},
    "calls/recording": {"supervisor", "manager", "admin"},
    "calls/callback": {"supervisor", "manager", "admin"},
    "calls/voicemail": {"supervisor", "manager", "admin"},
    "service/script": {"supervisor", "manager", "admin"},
    "service/complaint": {"supervisor", "manager", "admin"},
    "service/callnote": {"supervisor", "manager", "admin"},
    "service/message": {"supervisor", "admin"},
    "service/category": {"supervisor", "admin"},
    "service/department": {"supervisor", "admin"},
    "kb/category": {"supervisor", "admin"},
    "calls/queue": {"admin"},
    "calls/numberroute": {"admin"},
    "calls/seat": {"admin"},
    "ivrdata/ivrflow": {"admin"},
    "ivrdata/ivrprompt": {"admin"},
}
CAN_ADD = {
    "accounts/user": {"admin"},
    "accounts/apitoken": {"admin"},
    "accounts/auditentry": set(),
    "accounts/signinthrottle": set(),
    "crm/customer": {"supervisor", "admin"},
    "crm/blacklistentry": {"admin"},
    "catalog/product": {"admin"},
    "catalog/supplier": {"admin"},
    "media/station": {"admin"},
    "media/hotlinenumber": {"admin"},
    "media/airing": {"admin"},
    "orders/order": set(),
    "notify/notification": set(),
    "calls/callrecord": set(),
    "calls/callevent": set(),
    "calls/recording": set(),
    "calls/callback": set(),
    "calls/voicemail": set(),
    "service/script": {"supervisor", "admin"},
    "service/complaint": set(),
    "service/callnote": set(),
    "service/message": set(),
    "service/category": {"supervisor", "admin"},
    "service/department": {"supervisor", "admin"},
    "kb/category": {"supervisor", "admin"},
    "calls/queue": {"admin"},
    "calls/numberroute": {"admin"},
    "calls/seat": {"admin"},
    "ivrdata/ivrflow": {"admin"},
    "ivrdata/ivrprompt": {"admin"},
}


def expected(role: str | None, allowed: set[str]) -> int:
    """302 to the login page for anonymous and agents (not back-office staff), else 200 or 403."""
    if role is None or role not in BACK_OFFICE:
        return 302
    return 200 if role in allowed else 403


def test_every_registered_model_is_in_the_matrix() -> None:
    # the logistics screens have their matrix, and their own objects, in tests/logistics/test_admin.py
    registered = {f"{model._meta.app_label}/{model._meta.model_name}" for model in admin.site._registry}
    assert registered == set(CAN_VIEW) | set(LOGISTICS_CONFIG) | set(LOGISTICS_RECORDS)


@pytest.mark.parametrize("role", [None, *ROLES])
@pytest.mark.parametrize("screen", sorted(CAN_VIEW))
def test_changelist(screen: str, role: str | None, client_as: Callable[[str | None], Client],
                    things: dict[str, int]) -> None:
    response = client_as(role).get(admin_url(screen))
    assert response.status_code == expected(role, CAN_VIEW[screen])
    if response.status_code == 302:
        assert response["Location"] == f"/admin/login/?next={admin_url(screen)}"


@pytest.mark.parametrize("role", [None, *ROLES])
@pytest.mark.parametrize("screen", sorted(CAN_VIEW))
def test_change_page(screen: str, role: str | None, client_as: Callable[[str | None], Client],
                     things: dict[str, int]) -> None:
    response = client_as(role).get(admin_url(screen, "change", things[screen]))
    assert response.status_code == expected(role, CAN_VIEW[screen])


@pytest.mark.parametrize("role", [None, *ROLES])
@pytest.mark.parametrize("screen", sorted(CAN_ADD))
def test_add_page(screen: str, role: str | None, client_as: Callable[[str | None], Client], db: None) -> None:
    response = client_as(role).get(admin_url(screen, "add"))
    assert response.status_code == expected(role, CAN_ADD[screen])


@pytest.mark.parametrize("role", [None, *ROLES])
def test_admin_index_is_for_back_office_roles_only(role: str | None, client_as: Callable[[str | None], Client],
                                                   users: dict[str, Any]) -> None:
    response = client_as(role).get("/admin/")
    assert response.status_code == (200 if role in BACK_OFFICE else 302)


@pytest.mark.parametrize(("role", "status"), [
    (None, 302), ("agent", 302), ("supervisor", 403), ("logistics", 403), ("finance", 403), ("manager", 403),
    ("admin", 200),
])
@pytest.mark.parametrize("screen", ["crm/customer", "catalog/product", "media/airing"])
def test_import_page_is_for_admins(screen: str, role: str | None, status: int,
                                   client_as: Callable[[str | None], Client], users: dict[str, Any]) -> None:
    assert client_as(role).get(admin_url(screen, "import")).status_code == status


@pytest.mark.parametrize("role", [None, *ROLES])
@pytest.mark.parametrize("screen", ["crm/customer", "catalog/product", "media/airing"])
def test_export_follows_view_permission(screen: str, role: str | None, client_as: Callable[[str | None], Client],
                                        things: dict[str, int]) -> None:
    # Customers are the exception: exporting them needs crm.export_customer (managers and admins).
    may_export = {"manager", "admin"} if screen == "crm/customer" else CAN_VIEW[screen]
    response = client_as(role).get(admin_url(screen, "export") + "?format=csv")
    assert response.status_code == expected(role, may_export)
    if response.status_code == 200:
        assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_only_admin_manages_users(client_as: Callable[[str | None], Client], users: dict[str, Any]) -> None:
    for role in ("supervisor", "logistics", "finance", "manager"):
        response = client_as(role).post(admin_url("accounts/user", "add"), {"username": "mallory", "role": "admin"})
        assert response.status_code == 403
    assert not users["admin"].__class__.objects.filter(username="mallory").exists()


def test_audit_log_cannot_be_changed_or_deleted_even_by_admin(client_as: Callable[[str | None], Client],
                                                              things: dict[str, int]) -> None:
    pk = things["accounts/auditentry"]
    client = client_as("admin")
    before = AuditEntry.objects.count()
    assert client.post(admin_url("accounts/auditentry", "change", pk), {"action": "forged"}).status_code == 403
    assert client.post(admin_url("accounts/auditentry", "delete", pk), {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.count() == before
    assert AuditEntry.objects.get(pk=pk).action != "forged"
