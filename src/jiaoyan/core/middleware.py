"""Request id (for audit and logs) and the UI language (zh-Hans unless chosen otherwise)."""

from __future__ import annotations

import ipaddress
import re

from django.conf import settings
from django.utils import translation

from . import context

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9\-]{8,64}$")


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR; behind ``settings.PROXY_COUNT`` proxies
    (``BEHIND_PROXY``), the address the outermost of ours appended to X-Forwarded-For.

    Whatever a client writes into X-Forwarded-For itself stands to the left of what our
    proxies append, so it is never taken: rotating forged addresses changes nothing.
    """
    remote = request.META.get("REMOTE_ADDR")
    if not settings.BEHIND_PROXY:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [h for h in hops if h]
    if len(hops) < settings.PROXY_COUNT:
        return remote
    candidate = hops[-settings.PROXY_COUNT]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


class RequestIdMiddleware:
    """Runs every request inside a write context, so audit rows carry its id and source.

    The id is our own unless we run ``BEHIND_PROXY``: then our proxy's ``X-Request-ID``
    (nginx sets ``$request_id``, replacing whatever the client sent) ties the access log
    to the audit rows. A client's own header is never copied into an audit row: it could
    make one request's rows look like another's.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = None
        if settings.BEHIND_PROXY:
            incoming = request.headers.get("X-Request-ID", "")
            rid = incoming.replace("-", "")[:32] if _REQUEST_ID_RE.match(incoming) else None
        source = "api" if request.path.startswith("/api/") else "web"
        with context.write_context(source, rid) as ctx:
            request.request_id = ctx.request_id
            response = self.get_response(request)
        response["X-Request-ID"] = ctx.request_id
        return response


class LanguageMiddleware:
    """The UI language: the account's choice, else the language cookie, else zh-Hans.

    The browser's Accept-Language is deliberately ignored: the product speaks Chinese
    first, whatever language the machine it is opened on was set up in.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        lang = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "language", ""):
            lang = user.language
        if lang not in self.supported:
            lang = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if lang not in self.supported:
            lang = settings.LANGUAGE_CODE
        translation.activate(lang)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", lang)
        translation.deactivate()
        return response
