"""The errors of an import, each a ``DomainError`` (inventory_site.errors).

``ImportFileError`` is a problem with the file as a whole (or one the database
found while writing), located by ``line`` and ``column`` where it can be;
``str()`` is the full message with its location, ``message`` the text alone.
``RowsInvalid`` means the rows carry their own errors (by line and column);
``ImportAlreadyApplied`` that an upload was imported before (a conflict).
"""

from __future__ import annotations

from functools import cached_property

from inventory_site.errors import DomainError


def format_issue(line: int | None, column: str, message: str) -> str:
    """``line 3, column sku: unknown sku 'X'.`` — the one shape of every import
    message (the command, the admin and background runs)."""
    where = []
    if line is not None:
        where.append(f"line {line}")
    if column:
        where.append(f"column {column}")
    return f"{', '.join(where)}: {message}" if where else message


class ImportFileError(DomainError):
    """A problem with the file as a whole (unreadable, wrong headers).

    ``line`` and ``column`` locate it when they can; ``str()`` is the full
    message for the user.
    """

    code = "import_file_invalid"

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: str = "",
        code: str | None = None,
    ):
        self.line = line
        self.column = column
        super().__init__(message, code=code)

    def __str__(self) -> str:
        return format_issue(self.line, self.column, self.message)

    def as_dict(self) -> dict:
        return {"detail": str(self), "code": self.code}


class TooManyRows(ImportFileError):
    """The file has more data rows than ``limit`` (found before validating)."""

    code = "too_many_rows"

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(
            f"The file has more than {limit:,} data rows, the most one import "
            "takes (IMPORT_MAX_ROWS); split it into smaller files."
        )


class RowsInvalid(DomainError):
    """Raised while writing when the write itself finds row errors (e.g. the
    ledger refusing an issue); the rows carry the errors."""

    code = "rows_invalid"

    def __init__(self, message: str = "Rows of the file are invalid; nothing was "
                 "imported.", **kwargs):  # fmt: skip
        super().__init__(message, **kwargs)


class ImportAlreadyApplied(DomainError):
    """The upload with this key was already imported (or is being imported)."""

    code = "import_already_applied"
    status = 409

    def __init__(self, upload_key: str):
        self.upload_key = upload_key
        super().__init__(
            "This file was already imported (the import was confirmed twice); "
            "nothing was imported a second time."
        )

    @cached_property
    def run(self):
        """The run that claimed the key, if it is still recorded."""
        from .models import ImportRun

        return ImportRun.objects.filter(upload_key=self.upload_key).first()
