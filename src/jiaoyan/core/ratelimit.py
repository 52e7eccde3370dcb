"""A small rate limit for public endpoints without an account (a certificate's public
verification), counted in the cache.

Log-ins have their own limits (``people/login_limits.py``, django-axes); this is for
anonymous look-ups, where the key is the client's address (``core.middleware.client_ip``).
The attempt is counted before it is judged — ``incr`` first, then compare ("insert, then
count") — so parallel attempts each see the others. A window is a fixed minute (or
``window`` seconds); the count of a window expires with it.
"""

from __future__ import annotations

import time

from django.core.cache import cache


def hit(scope: str, key: str, *, limit: int, window: int = 60) -> bool:
    """Count one attempt of ``key`` (an address) at ``scope``; True while within ``limit``
    attempts in the current window, False once over it (the attempt still counts)."""
    slot = int(time.time() // window)
    name = f"ratelimit:{scope}:{key}:{slot}"
    cache.add(name, 0, timeout=window + 5)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr: a new window
        cache.add(name, 1, timeout=window + 5)
        count = 1
    return count <= limit
