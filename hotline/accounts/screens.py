"""Access checks for the screens' views (the actions check the actor themselves, see `permissions.require_perm`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from hotline.accounts.models import User
from hotline.accounts.permissions import Perm


def require_perm(request: HttpRequest, perm: Perm, *, page: bool = False) -> User:
    """The signed-in user, if they hold `perm`; PermissionDenied (403) otherwise. A refused page raises it
    without words of its own, so the 403 page says "your role does not allow this page" once, not twice."""
    user: User = request.user  # type: ignore[assignment]
    if not user.has_perm(perm):
        raise PermissionDenied() if page else PermissionDenied(_("You do not have permission to do this."))
    return user
