"""Errors the database raises for values it cannot store or compare (a NUL byte
in a text, a number out of range) are bad input: 400, never a 500. Deleting a
row that others still refer to (``on_delete=PROTECT``) is a conflict: 409 with
what refers to it."""

from collections import Counter

from django.db import DataError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler


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


def api_exception_handler(exc, context):
    if isinstance(exc, DataError):
        return Response(
            {"detail": "The request holds a value the database cannot store or "
             "compare (for example a NUL character or a number out of range)."},
            status=status.HTTP_400_BAD_REQUEST,
        )  # fmt: skip
    if isinstance(exc, ProtectedError | RestrictedError):
        queryset = getattr(context.get("view"), "queryset", None)
        model = getattr(queryset, "model", None)
        return Response(
            {"detail": protected_message(exc, model), "code": "protected"},
            status=status.HTTP_409_CONFLICT,
        )
    return exception_handler(exc, context)
