"""Staff list downloads: the rows a list page shows (every page of them, with its
filters and sort) as CSV or XLSX.

A list view builds an ``ExportTable`` (column names and a row iterator over its own
filtered queryset) and returns ``export_response(request, table)`` when the query
asks for ``export=csv`` or ``export=xlsx``. Cells keep the exact stored values (as
the API does: 10.6422, not "11 ea"); codes stay codes, with a label column where a
person needs one. Text cells are made safe to open in a spreadsheet exactly as the
admin export does (``escape_formula``: a leading ``= + - @``, tab or CR gets a
``'``); numbers, dates and booleans are written as such, so XLSX cells are typed.

CSV streams (constant memory however many rows); XLSX is written by openpyxl in
write-only mode. ``EXPORT_MAX_ROWS`` caps a download; the file then ends with a
row saying it was cut.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from inventory_site.formatting import exact

from .imports import escape_formula

FORMATS = ("csv", "xlsx")
EXPORT_MAX_ROWS = 100_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class ExportTable:
    """``name`` names the file (``items-2026-12-02.csv``); ``rows`` yields one
    sequence of cells per row, in the order of ``headers``."""

    name: str
    headers: Sequence[str]
    rows: Iterable[Sequence]


def export_format(request) -> str | None:
    """``csv`` or ``xlsx`` when the query asks for a download, else None."""
    wanted = request.GET.get("export", "").lower()
    return wanted if wanted in FORMATS else None


def cell(value):
    """One cell: text escaped against formulas, exact decimals, local datetimes
    without a zone (spreadsheets have none), None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool | int | Decimal | float):
        return value
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, date):
        return value
    return escape_formula(str(value))


def _csv_text(value) -> str:
    if isinstance(value, Decimal):
        return exact(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _rows(table: ExportTable) -> Iterator[list]:
    for n, row in enumerate(table.rows):
        if n == EXPORT_MAX_ROWS:
            yield [f"(cut at {EXPORT_MAX_ROWS:,} rows: narrow the filters)"]
            return
        yield [cell(value) for value in row]


class _Echo:
    def write(self, value):
        return value


def _filename(table: ExportTable, extension: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", table.name).strip("-") or "export"
    return f"{name}-{timezone.localdate():%Y-%m-%d}.{extension}"


def export_response(request, table: ExportTable, fmt: str | None = None):
    """The download of ``table`` in the asked format (``export_format``)."""
    fmt = fmt or export_format(request) or "csv"
    if fmt == "xlsx":
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet(title=table.name[:31] or "export")
        sheet.append([cell(h) for h in table.headers])
        for row in _rows(table):
            sheet.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    else:
        writer = csv.writer(_Echo())

        def lines() -> Iterator[str]:
            yield "\ufeff"  # so spreadsheet programs read UTF-8
            yield writer.writerow([cell(h) for h in table.headers])
            for row in _rows(table):
                yield writer.writerow([_csv_text(v) for v in row])

        response = StreamingHttpResponse(lines(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{_filename(table, fmt)}"'
    return response


def export_links(request) -> dict[str, str]:
    """``{"csv": "?…&export=csv", "xlsx": …}``: the current query (filters, sort)
    with the format, without the page number."""
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    links = {}
    for fmt in FORMATS:
        query["export"] = fmt
        links[fmt] = "?" + query.urlencode()
    return links


def rows_of(queryset, *columns: Callable) -> Iterator[list]:
    """Rows of a queryset read in chunks, one cell per column function."""
    for obj in queryset.iterator(chunk_size=2000):
        yield [column(obj) for column in columns]
