"""Authentication backend whose permissions come from the user's role, not from database rows."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from hotline.accounts import throttle
from hotline.accounts.permissions import ROLE_PERMS, Perm


class RoleBackend(ModelBackend):
    """Username/password login, refused while the account or the source address is locked (see
    `throttle.py`); `has_perm` answers from the role matrix in `permissions.py`."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None,
                     **kwargs: Any) -> Any:
        # The sign-in forms refuse a locked attempt before this; checking here too covers every other
        # caller of `authenticate()`, so the right password during a lock never signs anyone in.
        if username and throttle.check_sign_in(username, throttle.client_address(request), locks_only=True):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

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
