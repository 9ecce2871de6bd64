"""Counters in the shared cache (file cache or Redis, so every worker counts together): limits on the
public pages (so many submissions an hour per client address), on personal look-ups per user, and the
counts that trigger security alerts."""

from django.core.cache import cache
from django.utils.translation import gettext as _

from .context import client_address
from .errors import ServiceError


def hits(scope: str, key: str, window: int) -> int:
    """Count one more hit of `key` in `scope` and return the count within the current window (seconds)."""
    name = f"rate:{scope}:{key}"
    cache.add(name, 0, timeout=window)
    try:
        return cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, timeout=window)
        return 1


def rate_limit(scope: str, per_hour: int, client: str | None = None, *, window: int = 3600,
               message: str | None = None) -> int:
    """Count one submission for this client (default: the request's address) in `scope`; past `per_hour`
    in the window (an hour unless said), refuse with 429. Returns the count."""
    count = hits(scope, client or client_address.get() or "unknown", window)
    if count > per_hour:
        raise ServiceError(message or _("Too many submissions from this device; please try again later."),
                           status=429)
    return count
