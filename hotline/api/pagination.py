"""Offset pagination for every list: `?limit=&offset=`, answered as `{"count": N, "items": [...]}`."""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Far beyond any real list, and small enough that offset + limit never overflows the database's integers.
MAX_OFFSET = 1_000_000_000


class Page(LimitOffsetPagination):
    """Pages of at most 200 items, 50 unless asked; a larger limit is refused, not silently cut."""

    class Input(Schema):
        limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
