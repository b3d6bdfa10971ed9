"""One base for every error a business rule raises.

A ``DomainError`` is bad input or a step the data does not allow (not a bug): its
message is written for the person who caused it, ``code`` names the rule for API
clients and tests, ``status`` is the HTTP status the API answers with, and
``fields`` holds per-field messages where the error belongs to named inputs. The
API maps it once (its exception handler) and the pages once (a form error or a
message); callers don't catch and re-shape it.

Subclasses carry the data a caller may need (``InsufficientStock`` says what was
requested and what was on hand) and set class-level defaults for ``code`` and
``status``; one whose error always belongs to one input names it in
``default_field`` (``InvalidQuantity``: ``quantity``), so the API answers with
that field's error and a form marks that field.

Statuses: 400 for input that can never be right (a zero quantity, a bad date),
409 for a step the current state does not allow (an issue beyond stock, a
delivery that is no longer a draft, a suggestion that is no longer open).

Where it is mapped: ``inventory_site.api_errors.api_exception_handler`` (the
API) and ``inventory_site.http.form_add_error`` / ``messages_add_error``
(the pages).
"""

from __future__ import annotations


class DomainError(Exception):
    code: str = "invalid"
    status: int = 400
    default_field: str = ""  # the input the error belongs to, when always one

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
        if fields is None and self.default_field:
            fields = {self.default_field: [message]}
        self.fields = fields or {}

    def as_dict(self) -> dict:
        """The one JSON shape of a 4xx (``error_body``)."""
        return error_body(self.message, self.code, self.fields)


RESERVED = ("detail", "code")


def error_body(detail: str, code: str, fields=None) -> dict:
    """The one JSON shape of every 4xx answer: ``{"detail", "code"}`` plus the
    field errors, each under its field's name (``{"quantity": ["…"]}``), as DRF
    names them. A field that is itself called ``detail`` or ``code`` (a
    supplier's code) is reported under ``"fields"`` instead, so the two keys
    always mean the same."""
    body: dict = {"detail": str(detail), "code": code}
    for name, errors in (fields or {}).items():
        if name in RESERVED:
            body.setdefault("fields", {})[name] = errors
        else:
            body[name] = errors
    return body
