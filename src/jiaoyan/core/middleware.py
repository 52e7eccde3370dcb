"""Request id (for audit and logs) and the UI language (zh-Hans unless chosen otherwise)."""

from __future__ import annotations

import re

from django.conf import settings
from django.utils import translation

from . import context

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9\-]{8,64}$")


class RequestIdMiddleware:
    """Runs every request inside a write context, so audit rows carry its id and source."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
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
