"""Limits on the public pages (no login): so many submissions an hour per client address."""

from django.core.cache import cache
from django.utils.translation import gettext as _

from .context import client_address
from .errors import ServiceError


def rate_limit(scope: str, per_hour: int, client: str | None = None) -> None:
    """Count one submission for this client (default: the request's address) in `scope`; past
    `per_hour` in the hour, refuse with 429. The cache is shared by all workers (file cache or Redis)."""
    key = f"rate:{scope}:{client or client_address.get() or 'unknown'}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    if count > per_hour:
        raise ServiceError(_("Too many submissions from this device; please try again later."), status=429)
