"""The API's one exception handler: every 4xx answers in one JSON shape,
``{"detail": "…", "code": "…"}`` plus field errors where they apply
(``inventory_site.errors.error_body``), and nothing was changed.

- A ``DomainError`` (a business rule refused: stock, deliveries, suggestions,
  classification, backtests) answers with its own ``status``, ``code``, message
  and field errors. Views and viewsets call the service and let it propagate;
  they don't catch and re-shape it.
- DRF's own errors keep their status and gain the shape: a ``ValidationError``
  keeps its field errors under their field names (``{"quantity": ["…"]}``) with
  ``code`` ``"invalid"`` and the first message as ``detail``; a list of row
  errors (a list body) goes under ``"rows"``; ``NotFound``, ``PermissionDenied``,
  ``NotAuthenticated``, ``Throttled``, ``ParseError``, … carry DRF's code
  (``not_found``, ``permission_denied``, ``throttled``, …).
- Errors the database raises for values it cannot store or compare (a NUL byte
  in a text, a number out of range) are bad input: 400, never a 500. Deleting a
  row that others still refer to (``on_delete=PROTECT``) is a conflict: 409 with
  what refers to it.
"""

from collections import Counter

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DataError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from .errors import DomainError, error_body


def protected_message(exc: ProtectedError | RestrictedError, model) -> str:
    """'This supplier cannot be deleted: 2 deliveries and 1 source refer to it.'"""
    referring = getattr(exc, "protected_objects", None)
    if referring is None:
        referring = exc.restricted_objects
    counts = Counter(obj._meta for obj in referring)
    parts = [
        f"{n} {meta.verbose_name if n == 1 else meta.verbose_name_plural}"
        for meta, n in sorted(counts.items(), key=lambda pair: pair[0].label)
    ]
    what = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)
    name = model._meta.verbose_name if model is not None else "object"
    refer = "refers" if sum(counts.values()) == 1 else "refer"
    hint = " Set it inactive instead." if hasattr(model, "active") else ""
    return f"This {name} cannot be deleted: {what} {refer} to it.{hint}"


def first_message(errors, path: str = "") -> tuple[str, str] | None:
    """(where, message) of the first message in DRF's nested error data:
    ``("lines[1].reason", "This field is required.")``."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = "" if key in ("non_field_errors", "detail") else str(key)
            found = first_message(value, f"{path}.{name}" if path and name else name)
            if found:
                return found
        return None
    if isinstance(errors, list):
        for index, value in enumerate(errors):
            where = f"{path}[{index}]" if not isinstance(value, str) else path
            found = first_message(value, where)
            if found:
                return found
        return None
    return path, str(errors)


def validation_body(data, code: str = "invalid") -> dict:
    """A ``ValidationError``'s data (field errors, a list of messages or of row
    errors) in the one shape."""
    found = first_message(data)
    where, message = found if found else ("", "Invalid input.")
    detail = f"{where}: {message}" if where else message
    if isinstance(data, dict):
        return error_body(detail, code, data)
    if all(isinstance(value, str) for value in data):
        return error_body(detail, code, {"non_field_errors": data})
    return error_body(detail, code, {"rows": data})


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, DataError):
        return Response(
            error_body(
                "The request holds a value the database cannot store or compare "
                "(for example a NUL character or a number out of range).",
                "unstorable_value",
            ),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, ProtectedError | RestrictedError):
        queryset = getattr(context.get("view"), "queryset", None)
        model = getattr(queryset, "model", None)
        return Response(
            error_body(protected_message(exc, model), "protected"),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = exception_handler(exc, context)
    if response is None or not 400 <= response.status_code < 500:
        return response
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        response.data = validation_body(data)
    elif isinstance(data, dict) and set(data) == {"detail"}:
        code = getattr(data["detail"], "code", None) or exc.default_code
        response.data = error_body(data["detail"], code)
    else:  # an APIException raised with field errors of its own
        response.data = validation_body(data, exc.default_code)
    return response
