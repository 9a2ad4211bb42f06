"""Who is calling, and may they: bearer tokens for programs, the Django session for the browser desk.

Each endpoint declares the permissions it needs with `auth=needs(Perm.X)`. Authentication and
that check run before ninja reads the request, so an anonymous caller always gets 401 and a
caller without the permission always gets 403, whatever they sent. Checks that depend on the
object (which status change, which fields may be seen) stay with the actions and the schemas.
"""

from __future__ import annotations

import datetime
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.security.base import AuthBase
from ninja.utils import check_csrf

from hotline.accounts.models import ApiToken, User
from hotline.accounts.permissions import Perm

# Recording every request would turn each read into a write; a minute is precise enough to see
# which tokens are alive.
TOUCH_INTERVAL = datetime.timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200


def user_for_token(raw: str) -> User | None:
    """The active user owning this raw token, or None. Notes when the token was last used."""
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_key(raw)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL:
        # Bookkeeping, not a business change: no audit row, and no action, so that a read stays a read
        # as far as the audit log is concerned.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def check_perms(user: Any, perms: tuple[Perm, ...]) -> Any:
    """The user, if they may use the API and hold `perms`; PermissionDenied otherwise."""
    if not user.has_perm(Perm.USE_API):
        raise PermissionDenied(_("Your role may not use the API."))
    if not all(user.has_perm(perm) for perm in perms):
        raise PermissionDenied(_("You do not have permission to do this."))
    return user


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>` with a token issued by `hotline token USER`."""

    def __init__(self, perms: tuple[Perm, ...] = ()) -> None:
        self.perms = perms
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        return check_perms(user, self.perms)


class DeskSession(APIKeyCookie):
    """The logged-in Django session (the browser desk). Writes need the CSRF token, as in a form."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self, perms: tuple[Perm, ...] = ()) -> None:
        self.perms = perms
        # ninja would check CSRF before knowing whether anyone is logged in, which turns an anonymous
        # POST into 403; we check it in `authenticate`, once a session user is found.
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if not user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise PermissionDenied(_("CSRF check failed: reload the page and try again."))
        return check_perms(user, self.perms)


def needs(*perms: Perm) -> list[AuthBase]:
    """The `auth=` of an endpoint: a token or a session, of a user with `accounts.use_api` and `perms`."""
    return [BearerToken(perms), DeskSession(perms)]


def current_user(request: HttpRequest) -> User:
    """The user `needs()` authenticated for this request."""
    return cast(User, request.auth)  # type: ignore[attr-defined]


def may(request: HttpRequest, perm: Perm) -> bool:
    """Whether the caller holds `perm`; for fields shown to some callers only."""
    user = getattr(request, "auth", None)
    return bool(user is not None and user.has_perm(perm))
