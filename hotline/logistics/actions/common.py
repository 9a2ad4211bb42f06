"""Small helpers shared by the logistics actions."""

from __future__ import annotations

from typing import Any

from hotline.accounts.permissions import require_perm

require = require_perm  # the one permission check of the actions (hotline.accounts.permissions)


def user_or_none(actor: Any) -> Any:
    """The user to store in a `by` column: None for the system."""
    return actor if getattr(actor, "pk", None) else None
