"""Job kinds: a name, the permission that lets a user see any job of the kind, and the handler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise

if TYPE_CHECKING:
    from hotline.jobs.runner import JobContext

Handler = Callable[["JobContext"], "dict[str, Any] | None"]


@dataclass(frozen=True)
class JobKind:
    """A registered kind of job. `permission` is a Django permission name (a `Perm` value): whoever has it
    may see every job of the kind, the job's creator sees their own. `back_url` names where the job page
    links back to (a URL, or a function of the job's payload returning one)."""

    name: str
    label: str | Promise
    permission: str
    handler: Handler
    back_url: Callable[[dict[str, Any]], str] | None = None


_KINDS: dict[str, JobKind] = {}


def register(name: str, *, label: str | Promise, permission: str,
             back_url: Callable[[dict[str, Any]], str] | None = None) -> Callable[[Handler], Handler]:
    """Decorator: `@register("logistics.feedback", label=_("…"), permission=Perm.X)` on `handler(ctx)`."""

    def decorate(handler: Handler) -> Handler:
        if name in _KINDS and _KINDS[name].handler is not handler:
            raise ValueError(f"job kind {name!r} is registered twice")
        _KINDS[name] = JobKind(name, label, str(permission), handler, back_url)
        return handler

    return decorate


def get_kind(name: str) -> JobKind:
    """The registered kind; KeyError for a name nobody registered."""
    return _KINDS[name]
