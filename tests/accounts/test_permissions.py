"""RoleBackend: a user has exactly their role's permissions; inactive users none; superusers all."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from hotline.accounts.permissions import ROLE_PERMS, STAFF_ROLES, Perm, Role, role_has
from tests import factories

ROLES = list(Role.values)
ALL_GRANTED = set().union(*ROLE_PERMS.values())


@pytest.mark.parametrize("role", ROLES)
def test_a_user_has_exactly_their_roles_permissions(db: Any, role: str) -> None:
    user = factories.make_user(role)
    assert not user.is_superuser
    assert user.get_all_permissions() == set(ROLE_PERMS[role])
    assert {perm.value for perm in Perm if user.has_perm(perm)} == {p for p in ROLE_PERMS[role] if p in set(Perm)}
    assert all(user.has_perm(perm) for perm in ROLE_PERMS[role])
    assert user.get_group_permissions() == set()


@pytest.mark.parametrize("role", ROLES)
def test_module_permissions_follow_the_role(db: Any, role: str) -> None:
    user = factories.make_user(role)
    for app in ("crm", "catalog", "media", "orders", "calls", "reports", "notify", "accounts"):
        assert user.has_module_perms(app) == any(p.startswith(app + ".") for p in ROLE_PERMS[role])


def test_permission_rows_in_the_database_grant_nothing(db: Any) -> None:
    from django.contrib.auth.models import Permission

    agent = factories.make_user("agent")
    agent.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    agent = type(agent).objects.get(pk=agent.pk)
    assert not agent.has_perm("accounts.view_auditentry")


@pytest.mark.parametrize("role", ROLES)
def test_inactive_users_get_nothing(db: Any, role: str) -> None:
    user = factories.make_user(role)
    user.is_active = False
    user.save()
    assert user.get_all_permissions() == set()
    assert not any(user.has_perm(perm) for perm in Perm)
    assert not user.has_module_perms("orders")


def test_a_superuser_gets_everything(db: Any) -> None:
    user = factories.make_user("agent")
    user.is_superuser = True
    user.save()
    assert user.get_all_permissions() == set(Perm) | ALL_GRANTED
    assert all(user.has_perm(perm) for perm in Perm)
    assert user.is_staff


def test_an_inactive_superuser_gets_nothing(db: Any) -> None:
    user = factories.make_user("admin")
    user.is_superuser, user.is_active = True, False
    user.save()
    assert user.get_all_permissions() == set()
    assert not user.has_perm(Perm.VIEW_ORDER)


def test_anonymous_users_get_nothing() -> None:
    anonymous = AnonymousUser()
    assert anonymous.get_all_permissions() == set()
    assert not any(anonymous.has_perm(perm) for perm in Perm)


def test_an_unknown_role_gets_nothing(db: Any) -> None:
    user = factories.make_user("agent")
    user.role = "janitor"
    assert user.get_all_permissions() == set()
    assert role_has("janitor", Perm.VIEW_ORDER) is False


@pytest.mark.parametrize("role", ROLES)
def test_staff_is_every_role_but_the_agent(db: Any, role: str) -> None:
    assert factories.make_user(role).is_staff == (role != Role.AGENT)
    assert (role in STAFF_ROLES) == (role != Role.AGENT)


# The rules docs/permissions.md states in words, checked one by one.

def test_an_agent_cannot_see_settlement_cost_or_spend() -> None:
    for perm in (Perm.VIEW_SETTLEMENT, Perm.VIEW_COST, Perm.VIEW_SPEND, Perm.SETTLE_ORDER):
        assert not role_has(Role.AGENT, perm)


def test_an_agent_cannot_move_an_order_after_placing_it_except_to_cancel() -> None:
    for perm in (Perm.REVIEW_ORDER, Perm.SHIP_ORDER, Perm.RECORD_DELIVERY, Perm.HANDLE_RETURN, Perm.SETTLE_ORDER):
        assert not role_has(Role.AGENT, perm)
    assert role_has(Role.AGENT, Perm.CANCEL_ORDER) and role_has(Role.AGENT, Perm.EDIT_ORDER)


def test_only_agents_and_supervisors_take_calls() -> None:
    assert [role for role in ROLES if role_has(role, Perm.TAKE_CALLS)] == ["agent", "supervisor"]


def test_finance_cannot_take_calls_or_touch_orders_before_settlement() -> None:
    for perm in (Perm.TAKE_CALLS, Perm.CREATE_ORDER, Perm.EDIT_ORDER, Perm.CANCEL_ORDER, Perm.SHIP_ORDER):
        assert not role_has(Role.FINANCE, perm)
    assert role_has(Role.FINANCE, Perm.SETTLE_ORDER) and role_has(Role.FINANCE, Perm.VIEW_SETTLEMENT)


def test_managers_only_read() -> None:
    # Exporting customers is reading them in bulk, downloading a voicemail is reading it: managers keep both.
    writes = {p for p in Perm if not p.value.split(".")[1].startswith("view_")} - {
        Perm.USE_API, Perm.EXPORT_CUSTOMERS, Perm.DOWNLOAD_VOICEMAIL}
    assert {p for p in writes if role_has(Role.MANAGER, p)} == set()


def test_admins_hold_everything_but_taking_calls() -> None:
    assert {p for p in Perm if not role_has(Role.ADMIN, p)} == {Perm.TAKE_CALLS}


def test_every_permission_is_held_by_some_role() -> None:
    assert {p for p in Perm if not any(role_has(role, p) for role in ROLES)} == set()


def test_only_admins_and_managers_export_customers() -> None:
    assert [role for role in ROLES if role_has(role, Perm.EXPORT_CUSTOMERS)] == ["manager", "admin"]


def test_agents_edit_and_cancel_only_their_own_orders_everyone_else_who_edits_any() -> None:
    editors = [role for role in ROLES if role_has(role, Perm.EDIT_ORDER)]
    assert editors == ["agent", "supervisor", "logistics", "admin"]
    assert [role for role in editors if not role_has(role, Perm.CHANGE_ANY_ORDER)] == ["agent"]
