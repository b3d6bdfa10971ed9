"""Errors the database raises for values it cannot store or compare (a NUL byte
in a text, a number out of range) are bad input: 400, never a 500."""

from django.db import DataError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler


def api_exception_handler(exc, context):
    if isinstance(exc, DataError):
        return Response(
            {"detail": "The request holds a value the database cannot store or "
             "compare (for example a NUL character or a number out of range)."},
            status=status.HTTP_400_BAD_REQUEST,
        )  # fmt: skip
    return exception_handler(exc, context)
