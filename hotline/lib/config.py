"""Typed reading of environment variables, failing clearly on values that cannot be parsed."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    """The variable's value, or `default` when it is unset."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """A yes/no variable; anything other than 1/0, true/false, yes/no, on/off is a start-up error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    """A whole-number variable, at least `minimum` when given; anything else is a start-up error."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from exc
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {raw!r}")
    return value


def env_list(name: str, default: str = "", allowed: frozenset[str] | None = None) -> tuple[str, ...]:
    """A comma-separated variable as a tuple of trimmed, non-empty items; with `allowed`, any other item is a
    start-up error."""
    items = tuple(item.strip() for item in os.environ.get(name, default).split(",") if item.strip())
    unknown = [item for item in items if allowed is not None and item not in allowed]
    if unknown:
        raise ImproperlyConfigured(f"{name} takes a comma-separated list of {sorted(allowed or ())}; got {unknown}")
    return items


def env_prefixes(name: str, default: str = "") -> tuple[str, ...]:
    """A comma-separated list of dialling prefixes (digits only, e.g. 00852,400); anything else is a start-up
    error."""
    prefixes = env_list(name, default)
    bad = [prefix for prefix in prefixes if not (prefix.isascii() and prefix.isdigit())]
    if bad:
        raise ImproperlyConfigured(f"{name} takes digits only, comma-separated (e.g. 00852,400); got {bad}")
    return prefixes


def env_origins(name: str, default: str = "") -> tuple[str, ...]:
    """A comma-separated list of web origins (scheme and host, e.g. https://hotline.example.cn); an item
    without http:// or https://, or with a path, is a start-up error (Django would refuse it later)."""
    origins = env_list(name, default)
    bad = [origin for origin in origins
           if not origin.startswith(("http://", "https://")) or "/" in origin.split("://", 1)[1]]
    if bad:
        raise ImproperlyConfigured(f"{name} takes origins like https://hotline.example.cn (scheme and host, no "
                                   f"path), comma-separated; got {bad}")
    return origins


def env_proxy_ssl_header(name: str) -> tuple[str, str] | None:
    """The header a TLS reverse proxy sets to say the browser used https, as Django's
    SECURE_PROXY_SSL_HEADER wants it: `X-Forwarded-Proto` gives ("HTTP_X_FORWARDED_PROTO", "https").
    Unset or blank: None (trust no such header). Anything but a header name is a start-up error."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    if not all(char.isascii() and (char.isalnum() or char == "-") for char in raw):
        raise ImproperlyConfigured(f"{name} takes the name of the header your proxy sets, e.g. X-Forwarded-Proto; "
                                   f"got {raw!r}")
    return "HTTP_" + raw.upper().replace("-", "_"), "https"
