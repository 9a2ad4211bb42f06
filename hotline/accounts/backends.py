"""Authentication backend whose permissions come from the user's role, not from database rows."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from hotline.accounts.permissions import ROLE_PERMS, Perm


class RoleBackend(ModelBackend):
    """Username/password login; `has_perm` answers from the role matrix in `permissions.py`."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        if user_obj.is_superuser:
            return set(Perm) | set().union(*ROLE_PERMS.values())
        return set(ROLE_PERMS.get(user_obj.role, frozenset()))

    def get_user_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return self.get_all_permissions(user_obj, obj)

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        return set()

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return any(p.startswith(app_label + ".") for p in self.get_all_permissions(user_obj))
