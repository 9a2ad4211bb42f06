"""Users with a role, their API tokens, and the audit log of every write."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.accounts.permissions import STAFF_ROLES, Role


class User(AbstractUser):
    """A person who logs in. Their role decides their permissions (see permissions.ROLE_PERMS)."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    agent_number = models.CharField(_("agent number"), max_length=16, blank=True,
                                    help_text=_("Work number shown to supervisors (工号)."))

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def save(self, *args: object, **kwargs: object) -> None:
        # Back-office roles reach the admin site; agents work at the desk only.
        self.is_staff = self.is_superuser or self.role in STAFF_ROLES
        super().save(*args, **kwargs)  # type: ignore[arg-type]


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its hash is stored; the raw value is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens",
                             verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=64, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def new_raw_key() -> str:
        return "hl_" + secrets.token_urlsafe(32)

    @staticmethod
    def hash_key(raw: str) -> str:
        return _hash_token(raw)


class AuditEntry(models.Model):
    """One write: who did it, when, to what, and the object's fields before and after."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("actor"))
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.object_repr}"


class SignInThrottle(models.Model):
    """Failed web sign-ins counted for one account (the user name tried) or one source address.

    Enough failures in a row make each next attempt wait, then lock the key for a while
    (see `throttle.py`); a lock refuses even the right password until it ends or an admin lifts it.
    """

    class Kind(models.TextChoices):
        ACCOUNT = "account", _("account")
        ADDRESS = "address", _("source address")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    key = models.CharField(_("user name or address"), max_length=150)
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    last_failure_at = models.DateTimeField(_("last failure"), null=True, blank=True, db_index=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("sign-in lock")
        verbose_name_plural = _("sign-in locks")
        ordering = ["-last_failure_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="accounts_signinthrottle_kind_key")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}"
