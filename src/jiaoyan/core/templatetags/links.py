"""``{{ url|safe_href }}``: a stored link put into an ``href`` only when it is http(s).

Services refuse other schemes when a link is written (``core.services.clean_link``); this
filter is the second fence for rows written before that rule or by a path that missed it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django import template

register = template.Library()


@register.filter
def safe_href(value: str | None) -> str:
    link = (value or "").strip()
    if urlsplit(link).scheme.lower() in ("http", "https"):
        return link
    return ""
