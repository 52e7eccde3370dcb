"""Template context every page shares: the navigation and the user's scope line."""

from __future__ import annotations

import functools

from django.conf import settings

from . import nav


def shell(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"LANGUAGES": settings.LANGUAGES}
    match = getattr(request, "resolver_match", None)
    from .notifications import unread_count

    # Callables: the template calls them only when it shows the shell, so an HTMX
    # fragment (a table, a tree level) costs no navigation or notification queries.
    return {
        "unread_notifications": functools.cache(lambda: unread_count(user)),
        "nav_menu": functools.cache(lambda: nav.menu_for(user, match.view_name if match else "")),
        "LANGUAGES": settings.LANGUAGES,
    }
