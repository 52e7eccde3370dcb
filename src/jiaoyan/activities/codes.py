"""Rotating check-in codes.

A venue's code is six digits derived from the venue's own random secret, the site's
SECRET_KEY and the current time window (HMAC-SHA256), so it cannot be worked out from
anything a participant sees. It changes every ``PERIOD`` seconds; the code of the
previous window is still accepted (someone who scanned just before the change is not
refused). A code of an older window (up to ``REMEMBER`` ago) is recognised as expired, so
the message can say so; any other code is wrong. Wrong and expired codes count towards
the rate limit (``services.check_in``): with at most ``MAX_FAILURES`` tries per
``FAILURE_WINDOW``, guessing one of a million codes is hopeless.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.utils import timezone

PERIOD = 60  # seconds a code is shown for
GRACE_WINDOWS = 1  # previous windows still accepted
REMEMBER = dt.timedelta(hours=12)  # older codes than this are simply "wrong"
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=10)
DIGITS = 6


def new_secret() -> str:
    return secrets.token_hex(20)


def _window(at: dt.datetime) -> int:
    return int(at.timestamp()) // PERIOD


def code_for(secret: str, venue_id: int, window: int) -> str:
    key = f"{settings.SECRET_KEY}:{secret}".encode()
    digest = hmac.new(key, f"{venue_id}:{window}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**DIGITS:0{DIGITS}d}"


def current_code(venue, at: dt.datetime | None = None) -> tuple[str, dt.datetime]:
    """The code to show now, and when it stops being the current one."""
    at = at or timezone.now()
    w = _window(at)
    expires = dt.datetime.fromtimestamp((w + 1) * PERIOD, tz=dt.UTC)
    return code_for(venue.checkin_secret, venue.pk, w), expires


def normalise(raw: str) -> str:
    """What people type: full-width digits, spaces and dashes are tolerated."""
    import unicodedata

    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(ch for ch in text if ch.isdigit())


VALID, EXPIRED, WRONG = "valid", "expired", "wrong"


def verify(venue, raw: str, at: dt.datetime | None = None) -> str:
    """``VALID``, ``EXPIRED`` or ``WRONG`` for a typed or scanned code at ``venue``."""
    code = normalise(raw)
    if len(code) != DIGITS:
        return WRONG
    at = at or timezone.now()
    w = _window(at)
    for back in range(GRACE_WINDOWS + 1):
        if hmac.compare_digest(code, code_for(venue.checkin_secret, venue.pk, w - back)):
            return VALID
    oldest = _window(at - REMEMBER)
    for old in range(w - GRACE_WINDOWS - 1, oldest - 1, -1):
        if hmac.compare_digest(code, code_for(venue.checkin_secret, venue.pk, old)):
            return EXPIRED
    return WRONG
