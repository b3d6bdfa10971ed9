"""One base for every error a business rule raises.

A ``DomainError`` is bad input or a step the data does not allow (not a bug): its
message is written for the person who caused it, ``code`` names the rule for API
clients and tests, ``status`` is the HTTP status the API answers with, and
``fields`` holds per-field messages where the error belongs to named inputs. The
API maps it once (its exception handler) and the pages once (a form error or a
message); callers don't catch and re-shape it.

Subclasses carry the data a caller may need (``InsufficientStock`` says what was
requested and what was on hand) and set class-level defaults for ``code`` and
``status``.
"""

from __future__ import annotations


class DomainError(Exception):
    code: str = "invalid"
    status: int = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        fields: dict[str, list[str]] | None = None,
    ):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.fields = fields or {}

    def as_dict(self) -> dict:
        """The one JSON shape of a 4xx: ``{"detail", "code"}`` plus field errors."""
        body: dict = {"detail": self.message, "code": self.code}
        body.update(self.fields)
        return body
