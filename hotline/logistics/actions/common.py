"""Small helpers shared by the logistics actions."""

from __future__ import annotations

from hotline.accounts.audit import user_or_none
from hotline.accounts.permissions import require_perm

require = require_perm  # the one permission check of the actions (hotline.accounts.permissions)
__all__ = ["require", "user_or_none"]


