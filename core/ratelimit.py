"""Fixed-window counters in the cache (Redis in production, local memory in the demo).

``hit`` counts one event and says whether it is still within the limit; ``count`` reads without
counting. Callers choose what a broken cache means: SMS sending fails closed (a cache outage must
not let anyone pump messages at our cost). Password sign-in does not use these counters: its
failures are kept in the database (``accounts.models.FailedSignIn``), so that a cache outage or
restart cannot open a locked account.
"""

import hashlib
import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)


class RateLimitUnavailable(Exception):
    pass


def _key(scope: str, ident: str, window: int) -> str:
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]  # never keep a phone number in a cache key
    return f"rl:{scope}:{digest}:{int(time.time() // window)}"


def count(scope: str, ident: str, window: int) -> int:
    try:
        return int(cache.get(_key(scope, ident, window)) or 0)
    except Exception as exc:  # the cache is down
        raise RateLimitUnavailable(str(exc)) from exc


def hit(scope: str, ident: str, limit: int, window: int) -> bool:
    """Count one event; True while the count stays within ``limit`` for this window."""
    key = _key(scope, ident, window)
    try:
        if cache.add(key, 1, timeout=window + 5):
            value = 1
        else:
            value = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        value = 1
    except Exception as exc:
        raise RateLimitUnavailable(str(exc)) from exc
    return value <= limit


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a proxy we trust rewrites it,
    # and docs/deployment.md has the proxy pass the real address in REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR", "") or "unknown"
