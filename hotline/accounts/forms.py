"""The sign-in forms of /login/ and /admin/login/, with throttling of password guessing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm

from hotline.accounts import throttle
from hotline.accounts.actions import do_clear_sign_in_failures


class ThrottledSignInMixin:
    """Refuses an attempt on a locked or waiting account or address before checking its password, and
    says so (`throttle_message`); a failure that reaches a limit answers with the lock at once.

    Failures are counted by the `user_login_failed` signal (actions.on_user_login_failed), so that every
    caller of `authenticate()` counts, not only these forms."""

    request: Any
    cleaned_data: dict[str, Any]
    user_cache: Any
    throttle_message = ""

    def clean(self) -> dict[str, Any]:
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        address = throttle.client_address(self.request)
        self._refuse_if_throttled(throttle.check_sign_in(username, address))
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            self._refuse_if_throttled(throttle.check_sign_in(username, address, locks_only=True))
            raise self.get_invalid_login_error()  # type: ignore[attr-defined]
        self.confirm_login_allowed(self.user_cache)  # type: ignore[attr-defined]
        do_clear_sign_in_failures(username, actor=self.user_cache)
        return self.cleaned_data

    def _refuse_if_throttled(self, refusal: throttle.Refusal | None) -> None:
        if refusal is not None:
            self.throttle_message = refusal.message()
            raise forms.ValidationError(self.throttle_message, code="throttled")


class ThrottledAuthenticationForm(ThrottledSignInMixin, AuthenticationForm):
    """/login/."""


class ThrottledAdminAuthenticationForm(ThrottledSignInMixin, AdminAuthenticationForm):
    """/admin/login/ (staff only, as Django's)."""
