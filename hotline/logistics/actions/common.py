"""Small helpers shared by the logistics actions."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from hotline.accounts.permissions import Perm


def require(actor: Any, perm: Perm) -> None:
    """Refuse an actor without the permission; None is the system (imports, the courier push API)."""
    if actor is not None and not actor.has_perm(perm):
        raise PermissionDenied(_("You do not have permission to do this."))


def user_or_none(actor: Any) -> Any:
    """The user to store in a `by` column: None for the system."""
    return actor if getattr(actor, "pk", None) else None
