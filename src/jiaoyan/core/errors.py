"""Errors a service raises for the caller to show, never to crash on."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class ServiceError(ValidationError):
    """Bad input or a rule broken: the message is shown to the user, nothing was written.

    It is a ``ValidationError`` so forms can attach it to a field (``field``) and the API
    turns it into a 400 with a ``detail``.
    """

    def __init__(self, message, *, field: str | None = None, code: str | None = None):
        self.field = field
        # Which rule refused (tests and API clients tell refusals apart by it; on a
        # field's error Django keeps no code of its own).
        self.rule = code
        if field:
            super().__init__({field: [message]}, code=code)
        else:
            super().__init__(message, code=code)

    @property
    def text(self) -> str:
        return "；".join(str(m) for m in self.messages)


class StaleObject(ServiceError):
    """The object changed since the form was loaded (optimistic locking)."""
