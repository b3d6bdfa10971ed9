"""Shared machinery of the bulk import and export resources (django-import-export).

Every resource validates a whole file before it writes anything, then writes
set-based (``filter_in``, ``insert_rows``, ``update_rows`` and ``merge_rows`` of
``inventory_site.db``: statements per batch, never per row; stock only through
the ledger services), all in the one transaction ``Resource.import_data`` opens.
It overrides ``import_data_inner`` but returns the library's own ``Result``:
invalid rows land in ``result.invalid_rows`` (``number`` = file line, header =
line 1; errors keyed by column), file-level problems (headers) in
``result.base_errors``. So the admin's dry-run preview and the ``import_data``
command show the same errors, and any error means nothing is written.

Row numbers follow the file-line convention: the header is line 1, the first data
row line 2 (for .xlsx the spreadsheet's row number). Blank rows are skipped but
still counted.

Limits, checked while reading and before any row is validated: at most
``IMPORT_MAX_ROWS`` rows after the header (a reader stops at the first row
beyond it); a file with a header but no data rows is refused; an .xlsx workbook
is refused before it is opened when its members unpack to more than
``IMPORT_MAX_XLSX_UNPACKED_BYTES`` (a zip bomb), and before its rows are read when
the sheet's declared dimension has too many rows. Sheets are streamed
(openpyxl read-only, values only) without trusting the declared dimension, and a
row wider than ``MAX_COLUMNS`` cells is refused.

Spreadsheet formulas are escaped on export: a text value starting with ``=``,
``+``, ``-``, ``@``, a tab, a carriage return or a ``'`` gets a leading ``'``,
which the import strips again, so a round trip is lossless. Numbers are never
escaped (``-5`` stays ``-5``).
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from pathlib import Path

import tablib
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from import_export import resources, widgets
from import_export.formats import base_formats
from import_export.results import RowResult

from inventory_site.dates import (
    DateOutOfRange,
    check_event_moment,
    check_planned_date,
    event_window,
)
from inventory_site.db import filter_in, insert_rows, merge_rows, update_rows

from .limits import decimal_max

logger = logging.getLogger(__name__)

__all__ = [  # the set-based writers live in .sql; resources import them from here
    "filter_in",
    "insert_rows",
    "merge_rows",
    "update_rows",
]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MAX_COLUMNS = 100  # cells per row read from a file (our widest resource has 9)
LOCATE_ROWS_MAX = 100_000  # a database error is traced to its line up to this size
SUPPORTED_EXTENSIONS = (".csv", ".xlsx")
TRUE_WORDS = {"1", "true", "yes"}
FALSE_WORDS = {"0", "false", "no"}


class ImportFileError(Exception):
    """A problem with the file as a whole (unreadable, wrong headers).

    ``line`` and ``column`` locate it when they can; ``str()`` is the full
    message for the user.
    """

    def __init__(self, message: str, *, line: int | None = None, column: str = ""):
        self.line = line
        self.column = column
        self.message = message
        super().__init__(format_issue(line, column, message))


class TooManyRows(ImportFileError):
    """The file has more data rows than ``limit`` (found before validating)."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(
            f"The file has more than {limit:,} data rows, the most one import "
            "takes (IMPORT_MAX_ROWS); split it into smaller files."
        )


def format_issue(line: int | None, column: str, message: str) -> str:
    where = []
    if line is not None:
        where.append(f"line {line}")
    if column:
        where.append(f"column {column}")
    return f"{', '.join(where)}: {message}" if where else message


# --- Values: parse on import, render on export --------------------------------------


def escape_formula(text: str) -> str:
    """Make a text value safe to open in a spreadsheet (see module docstring)."""
    if text and (text.startswith(FORMULA_TRIGGERS) or text.startswith("'")):
        return "'" + text
    return text


def unescape_formula(text: str) -> str:
    if len(text) > 1 and text[0] == "'" and text[1] in (*FORMULA_TRIGGERS, "'"):
        return text[1:]
    return text


def format_decimal(value: Decimal) -> str:
    """Plain decimal notation without trailing zeros: 10.500 → 10.5, 100 → 100."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _cell_text(value) -> str:
    """A cell as trimmed text (``""`` for an empty cell); spreadsheets hand over
    whole numbers as int or float."""
    if value.__class__ is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _is_blank(value) -> bool:
    return not _cell_text(value)


class TextWidget(widgets.Widget):
    """Text: trimmed, formula escape undone, length checked, NUL characters
    refused; blank → ``""``."""

    def __init__(self, *, max_length: int, escape: bool = True):
        super().__init__(coerce_to_string=True)
        self.max_length = max_length
        self.escape = escape

    def clean(self, value, row=None, **kwargs) -> str:
        text = _cell_text(value)
        if self.escape and text[:1] == "'":
            text = unescape_formula(text)
        if "\x00" in text:  # PostgreSQL cannot store it; SQLite would
            raise ValueError("contains a NUL character (\\x00); remove it.")
        if len(text) > self.max_length:
            raise ValueError(
                f"is {len(text)} characters long; at most {self.max_length} allowed."
            )
        return text

    def render(self, value, obj=None, **kwargs) -> str:
        if value is None:
            return ""
        return escape_formula(str(value)) if self.escape else str(value)


class RawWidget(widgets.Widget):
    """The cell as trimmed text, checked later (e.g. by the ledger's own checks)."""

    def clean(self, value, row=None, **kwargs) -> str:
        return _cell_text(value)

    def render(self, value, obj=None, **kwargs) -> str:
        return "" if value is None else str(value)


class DecimalWidget(widgets.Widget):
    """A decimal within the model field's digits; negative values refused unless
    ``minimum`` allows them; ``positive`` also refuses zero."""

    def __init__(
        self,
        *,
        max_digits: int,
        decimal_places: int,
        minimum: Decimal | None = Decimal(0),
        positive: bool = False,
    ):
        super().__init__(coerce_to_string=True)
        self.max_digits = max_digits
        self.decimal_places = decimal_places
        self.minimum = minimum
        self.positive = positive
        self.limit = decimal_max(max_digits, decimal_places)  # items.limits
        self.step = Decimal(1).scaleb(-decimal_places)

    def clean(self, value, row=None, **kwargs) -> Decimal | None:
        if isinstance(value, bool):
            raise ValueError(f"'{value}' is not a number.")
        text = _cell_text(value)
        if not text:
            return None
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            raise ValueError(f"'{text}' is not a number.") from None
        if not number.is_finite():
            raise ValueError(f"'{text}' is not a number.")
        if self.positive and number <= 0:
            raise ValueError(f"must be greater than zero (got {text}).")
        if self.minimum is not None and number < self.minimum:
            raise ValueError(f"must not be negative (got {text}).")
        if abs(number) > self.limit:
            raise ValueError(f"{text} is too large; at most {self.limit}.")
        if number != number.quantize(self.step):
            raise ValueError(
                f"allows at most {self.decimal_places} decimal places (got {text})."
            )
        return number

    def render(self, value, obj=None, **kwargs) -> str:
        return "" if value is None else format_decimal(Decimal(value))


class IntegerWidget(widgets.Widget):
    def __init__(self, *, minimum: int = 0, maximum: int = 2_147_483_647):
        super().__init__(coerce_to_string=True)
        self.minimum = minimum
        self.maximum = maximum

    def clean(self, value, row=None, **kwargs) -> int | None:
        if isinstance(value, bool):
            raise ValueError(f"'{value}' is not a whole number.")
        text = _cell_text(value)
        if not text:
            return None
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            raise ValueError(f"'{text}' is not a whole number.") from None
        if not number.is_finite() or number != number.to_integral_value():
            raise ValueError(f"'{text}' is not a whole number.")
        if number < self.minimum:
            raise ValueError(f"must be at least {self.minimum} (got {text}).")
        if number > self.maximum:
            raise ValueError(f"{text} is too large.")
        return int(number)

    def render(self, value, obj=None, **kwargs) -> str:
        return "" if value is None else str(value)


class BooleanWidget(widgets.Widget):
    """1/0, true/false, yes/no (any case); blank → ``None``."""

    def clean(self, value, row=None, **kwargs) -> bool | None:
        if isinstance(value, bool):
            return value
        text = _cell_text(value)
        if not text:
            return None
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise ValueError(
            f"'{text}' is not a yes/no value; use 1/0, true/false or yes/no."
        )

    def render(self, value, obj=None, **kwargs) -> str:
        if value is None:
            return ""
        return "true" if value else "false"


def site_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class _RepeatedTextCache:
    """Dates repeat down a column: parse each distinct text once (per resource
    instance — the library copies fields, and so widgets, for each)."""

    cache_size = 10_000

    def clean(self, value, row=None, **kwargs):
        if value.__class__ is not str:
            return self.parse(value)
        cache = self.__dict__.setdefault("_cache", {})
        try:
            return cache[value]
        except KeyError:
            parsed = cache[value] = self.parse(value)
            if len(cache) > self.cache_size:
                cache.clear()
            return parsed


def _in_window(check, value, cell):
    """``check(value)``, its refusal worded with the cell as it was written."""
    try:
        return check(value)
    except DateOutOfRange as error:
        raise ValueError(f"'{_cell_text(cell)}' {error.reason}") from None


class DateTimeWidget(_RepeatedTextCache, widgets.Widget):
    """ISO 8601; a date alone is midnight in the site's time zone; a time without
    an offset is site time. Always returns an aware datetime. Every column read
    with it is something that happened (a movement, an order, a receipt), so
    the value must lie in ``check_event_moment``'s window."""

    def parse(self, value) -> datetime | None:
        moment = self.parse_moment(value)
        if moment is None:
            return None
        if "_window" not in self.__dict__:  # once per file (resource instance)
            self._window = event_window()
        window = self._window
        return _in_window(
            lambda moment: check_event_moment(moment, window=window), moment, value
        )

    def parse_moment(self, value) -> datetime | None:
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            return site_midnight(value)
        else:
            text = _cell_text(value)
            if not text:
                return None
            try:
                day = parse_date(text)
                moment = None if day else parse_datetime(text)
            except ValueError:
                day = moment = None
            if day is not None:
                return site_midnight(day)
            if moment is None:
                raise ValueError(
                    f"'{text}' is not an ISO 8601 date or date and time "
                    "(e.g. 2025-03-31 or 2025-03-31T14:30:00+02:00)."
                )
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment

    def render(self, value, obj=None, **kwargs) -> str:
        if value is None:
            return ""
        return timezone.localtime(value).isoformat()


class DateWidget(_RepeatedTextCache, widgets.Widget):
    """An ISO 8601 calendar date (YYYY-MM-DD), promised or planned: within
    ``check_planned_date``'s window."""

    def parse(self, value) -> date | None:
        day = self.parse_day(value)
        if day is None:
            return None
        return _in_window(check_planned_date, day, value)

    def parse_day(self, value) -> date | None:
        if isinstance(value, datetime):
            if value.time() != time.min:
                raise ValueError(f"'{value}' is not a date (it has a time of day).")
            return value.date()
        if isinstance(value, date):
            return value
        text = _cell_text(value)
        if not text:
            return None
        try:
            day = parse_date(text)
        except ValueError:
            day = None
        if day is None:
            raise ValueError(f"'{text}' is not an ISO 8601 date (e.g. 2025-03-31).")
        return day

    def render(self, value, obj=None, **kwargs) -> str:
        return "" if value is None else value.isoformat()


# --- Reading files ------------------------------------------------------------------


class Table:
    """What ``Resource.import_data`` needs of a ``tablib.Dataset`` (``headers``,
    ``len()``, iteration over rows), without tablib's per-row checks: the readers
    below build one for 100,000 rows in a fraction of the time. The resources
    take a ``tablib.Dataset`` as well.

    ``rows`` is a list, or a function that reads them again (a CSV table keeps
    the file's bytes, not a list of a million rows; ``length`` is then known
    from the reader's first pass)."""

    def __init__(self, headers: list[str], rows, *, length: int | None = None):
        self.headers = headers
        self.rows = rows
        self.length = length

    def __len__(self) -> int:
        return len(self.rows) if self.length is None else self.length

    def __iter__(self):
        return iter(self.rows() if callable(self.rows) else self.rows)


def _check_shape(header: Sequence, has_data: bool) -> None:
    """Refuse a file without a header, or with a header and no data rows."""
    if not header or all(_is_blank(cell) for cell in header):
        raise ImportFileError("The file is empty: no header row.", line=1)
    if not has_data:
        raise ImportFileError(
            "The file has a header but no data rows; nothing to import.", line=2
        )


def _rectangular(rows: list) -> Table:
    """A table from the header row and data rows, padded to one width. Cells
    beyond the last header get empty header names (the resource reports them).
    A file without a header, or with a header and no data rows, is refused."""
    data = rows[1:]
    _check_shape(
        rows[0] if rows else (),
        any(not _is_blank(cell) for row in data for cell in row),
    )
    width = max(map(len, rows))
    headers = ["" if cell is None else str(cell) for cell in rows[0]]
    headers += [""] * (width - len(headers))
    for index, row in enumerate(data):
        if len(row) < width:
            data[index] = list(row) + [""] * (width - len(row))
    return Table(headers, data)


def _row_limit(max_rows: int | None) -> int:
    return settings.IMPORT_MAX_ROWS if max_rows is None else max_rows


def _checked_rows(rows: Iterable[Sequence], max_rows: int) -> Iterator[Sequence]:
    """The header and at most ``max_rows`` data rows; ``TooManyRows`` as soon as
    one more is read, ``ImportFileError`` for a row wider than ``MAX_COLUMNS``."""
    for line, row in enumerate(rows, start=1):
        if line > max_rows + 1:
            raise TooManyRows(max_rows)
        if len(row) > MAX_COLUMNS:
            raise ImportFileError(
                f"the row is {len(row):,} cells wide; at most {MAX_COLUMNS} are read.",
                line=line,
            )
        yield row


def _collect_rows(rows: Iterable[Sequence], max_rows: int) -> list:
    return list(_checked_rows(rows, max_rows))


def _csv_text(data: bytes | str) -> str:
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ImportFileError(
                f"The file is not UTF-8 text (byte {error.start}); "
                "save it as CSV UTF-8."
            ) from None
    return data[1:] if data.startswith("\ufeff") else data


def read_csv(data: bytes | str, *, max_rows: int | None = None) -> Table:
    """CSV in UTF-8 (a byte order mark is fine). Blank lines are kept (as empty
    rows) so row numbers match the file. At most ``max_rows`` data rows
    (default ``IMPORT_MAX_ROWS``)."""
    if isinstance(data, str):  # small texts (tests, callers with a string)
        reader = csv.reader(io.StringIO(_csv_text(data), newline=""))
        try:
            rows = _collect_rows(reader, _row_limit(max_rows))
        except csv.Error as error:
            raise ImportFileError(
                f"The file is not valid CSV: {error}.", line=reader.line_num or None
            ) from None
        return _rectangular(rows)
    _csv_text(data)  # refuses what is not UTF-8, naming the byte; not kept

    def records():
        text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
        return csv.reader(text)

    # A first pass checks the limits and the shape without keeping any row; the
    # resource's pass reads the rows again from the bytes, one at a time.
    reader = records()
    try:
        headers, width, length = _csv_shape(reader, _row_limit(max_rows))
    except csv.Error as error:
        raise ImportFileError(
            f"The file is not valid CSV: {error}.", line=reader.line_num or None
        ) from None

    def rows():
        reader = records()
        next(reader)  # the header
        for row in reader:
            if len(row) < width:
                row.extend([""] * (width - len(row)))
            yield row

    return Table(headers, rows, length=length)


def _csv_shape(reader, max_rows: int) -> tuple[list[str], int, int]:
    """Headers (padded to the widest row), width and number of data rows, with
    the checks of ``_collect_rows`` and ``_rectangular``, keeping no row."""
    header: list[str] = []
    width = length = 0
    has_data = False
    for line, row in enumerate(_checked_rows(reader, max_rows), start=1):
        if line == 1:
            header = row
        elif not has_data and any(cell.strip() for cell in row):
            has_data = True
        width = max(width, len(row))
        length = line - 1
    _check_shape(header, has_data)
    return header + [""] * (width - len(header)), width, length


def check_xlsx_archive(data: bytes) -> None:
    """Refuse a workbook that is not a zip archive, or whose members unpack to
    more than ``IMPORT_MAX_XLSX_UNPACKED_BYTES``, before anything is unpacked.
    (The sizes come from the zip's directory; the zip reader never returns more
    than a member's declared size, so they cannot lie.)"""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportFileError(
            f"The file is not a readable .xlsx workbook ({error})."
        ) from None
    limit = settings.IMPORT_MAX_XLSX_UNPACKED_BYTES
    if unpacked > limit:
        raise ImportFileError(
            f"The workbook unpacks to {unpacked / 1_048_576:,.0f} MB; at most "
            f"{limit / 1_048_576:,.0f} MB are read (IMPORT_MAX_XLSX_UNPACKED_BYTES). "
            "Save it as CSV or split it."
        )


def read_xlsx(data: bytes, *, max_rows: int | None = None) -> Table:
    """The first (active) sheet of an .xlsx workbook, values only (no formulas),
    streamed; at most ``max_rows`` data rows (default ``IMPORT_MAX_ROWS``)."""
    import openpyxl

    limit = _row_limit(max_rows)
    check_xlsx_archive(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - any damage to the workbook
        raise ImportFileError(
            f"The file is not a readable .xlsx workbook ({error})."
        ) from None
    try:
        sheet = book.active
        if sheet is None:
            raise ImportFileError("The workbook has no worksheet.")
        declared = sheet.max_row  # from the sheet's <dimension>, if it has one
        if declared is not None and declared > limit + 1:
            raise TooManyRows(limit)
        # Read every row the sheet has, each only as wide as its cells: neither
        # cut off nor padded by a declared dimension.
        sheet.reset_dimensions()
        rows = _collect_rows(sheet.iter_rows(values_only=True), limit)
    except ImportFileError:
        raise
    except Exception as error:  # noqa: BLE001 - damaged sheet XML, bad cell values
        raise ImportFileError(
            f"The file is not a readable .xlsx workbook ({type(error).__name__}: "
            f"{error})."
        ) from None
    finally:
        book.close()
    return _rectangular(rows)


def read_dataset(path: str | Path, *, max_rows: int | None = None) -> Table:
    """Read a .csv or .xlsx file (by extension) into a table."""
    path = Path(path)
    extension = path.suffix.lower()
    if extension not in SUPPORTED_EXTENSIONS:
        raise ImportFileError(
            f"Unsupported file type '{path.suffix or path.name}': "
            "use a .csv or .xlsx file."
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportFileError(f"Cannot read {path}: {error.strerror}.") from None
    reader = read_csv if extension == ".csv" else read_xlsx
    return reader(data, max_rows=max_rows)


def count_rows(data: bytes, file_format: str) -> int | None:
    """The number of data rows of a file too large to read in a request, cheaply:
    CSV records are counted (not kept); for .xlsx it is the sheet's declared
    dimension (None if it has none; the worker counts). ``TooManyRows`` beyond
    ``IMPORT_MAX_ROWS``."""
    limit = settings.IMPORT_MAX_ROWS
    if file_format == "csv":
        text = _csv_text(data)
        records = -1  # the header
        try:
            for records, _ in enumerate(csv.reader(io.StringIO(text, newline=""))):
                if records > limit:
                    raise TooManyRows(limit)
        except csv.Error as error:
            raise ImportFileError(f"The file is not valid CSV: {error}.") from None
        return max(records, 0)
    import openpyxl

    check_xlsx_archive(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        declared = book.active.max_row if book.active is not None else None
        book.close()
    except Exception:  # noqa: BLE001 - the worker reports a damaged workbook
        return None
    if declared is not None and declared > limit + 1:
        raise TooManyRows(limit)
    return None if declared is None else max(declared - 1, 0)


class CSVFormat(base_formats.CSV):
    """The admin's CSV format, reading like the command (blank lines counted)."""

    def create_dataset(self, in_stream, max_rows: int | None = None, **kwargs):
        return read_csv(in_stream, max_rows=max_rows)


class XLSXFormat(base_formats.XLSX):
    def create_dataset(self, in_stream, max_rows: int | None = None, **kwargs):
        return read_xlsx(in_stream, max_rows=max_rows)


ADMIN_FORMATS = [CSVFormat, XLSXFormat]


# --- Resources ----------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class ParsedRow:
    """One data row: its file line, raw cells and cleaned values by column."""

    line: int
    cells: Sequence
    columns: dict[str, int]  # column name → position, shared by all rows
    values: dict[str, object]
    errors: dict[str, list[str]] = field(default_factory=dict)
    import_type: str = ""

    @property
    def raw(self) -> dict[str, object]:
        """The row's cells by column ({} when the resource did not keep them)."""
        if not self.cells:
            return {}
        return {name: self.cells[position] for name, position in self.columns.items()}

    def add_error(self, column: str, message: str) -> None:
        self.errors.setdefault(column or NON_FIELD_ERRORS, []).append(message)


class _ProbeDone(Exception):
    """Rolls back a probe write (``BulkResource.locate_database_error``)."""


def database_message(error: Exception) -> str:
    """The database's own first line ("numeric field overflow", "value too long
    for type character varying(64)", …), without SQL or parameters."""
    text = str(error).strip().splitlines()
    return text[0].rstrip(".") if text else type(error).__name__


class RowsInvalid(Exception):
    """Raised by ``write_rows`` when the write itself finds row errors (e.g. the
    ledger refusing an issue); the rows carry the errors."""


class BulkResource(resources.ModelResource):
    """Base of the five import resources: whole-file validation, then set-based
    writes, all or nothing.

    Subclasses declare their fields (column name = field name), the column lists
    below, and implement ``validate_rows`` (cross-row and database checks that add
    errors to rows) and ``write_rows`` (set ``row.import_type`` to new, update or
    skip). Any row error rolls the whole import back.
    """

    #: Columns that must be present, each needing a value in every row.
    required_columns: tuple[str, ...] = ()
    #: Columns that may be present; a present column sets the value (blank means
    #: the field's empty value), an absent one leaves existing values alone.
    optional_columns: tuple[str, ...] = ()
    #: Export-only columns accepted on import and ignored (e.g. ``on_hand``).
    readonly_columns: tuple[str, ...] = ()
    #: Required columns whose cells may be blank (the resource checks them).
    blank_allowed_columns: tuple[str, ...] = ()
    #: The natural key; a key twice in one file is an error.
    key_columns: tuple[str, ...] = ()
    #: Whether ``validate_rows`` reads ``row.raw``. Without a preview (the
    #: command, background runs) other resources keep only the cleaned values:
    #: the raw cells are about a third of an import's memory.
    uses_raw_cells: bool = False

    class Meta:
        use_transactions = True
        skip_diff = True

    @property
    def import_columns(self) -> tuple[str, ...]:
        return self.required_columns + self.optional_columns

    def get_import_fields(self):
        return [self.fields[name] for name in self.import_columns]

    def get_diff_headers(self):
        return list(self.import_columns)

    # -- entry point ---------------------------------------------------------------

    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        """All or nothing: a row error rolls back everything, also when the
        caller (the admin's confirm step) did not ask for it."""
        kwargs["use_transactions"] = True
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(
            dataset, dry_run=dry_run, raise_errors=raise_errors, **kwargs
        )

    def import_data_inner(
        self,
        dataset,
        dry_run,
        raise_errors,
        using_transactions,
        collect_failed_rows,
        **kwargs,
    ):
        result = self.get_result_class()()
        result.total_rows = len(dataset)
        columns, problems = self.check_headers(dataset.headers or [])
        self.present_columns = [c for c in self.import_columns if c in columns]
        self.ignored_columns = [c for c in self.readonly_columns if c in columns]
        result.diff_headers = list(self.present_columns)
        if problems:
            for problem in problems:
                self.handle_import_error(result, problem, raise_errors)
            return result

        keep_cells = kwargs.get("preview", True) or self.uses_raw_cells
        rows = self.parse_rows(dataset, columns, keep_cells=keep_cells)
        self.check_required(rows)
        self.check_duplicate_keys(rows)
        try:
            self.validate_rows(rows, **kwargs)
            if not any(row.errors for row in rows):
                self.write_checked(rows, user=kwargs.get("user"))
        except RowsInvalid:
            pass
        except ImportFileError as error:  # the database refused a value
            self.handle_import_error(result, error, raise_errors)
            return result
        except Exception as error:  # an unexpected error: report it, roll back
            logger.exception("Import with %s stopped.", type(self).__name__)
            self.handle_import_error(
                result,
                ImportFileError(
                    f"The import stopped on an unexpected error "
                    f"({type(error).__name__}: {error}); nothing was written."
                ),
                raise_errors,
            )
            return result
        self.fill_result(result, rows, preview=kwargs.get("preview", True))
        if raise_errors and result.has_validation_errors():
            first = result.invalid_rows[0]
            raise ValidationError(first.error_dict)
        return result

    # -- steps ---------------------------------------------------------------------

    def check_headers(
        self, headers: Sequence
    ) -> tuple[dict[str, int], list[ImportFileError]]:
        """Map column name → position; report missing required, unknown and
        repeated columns (all of them, on line 1)."""
        known = set(self.import_columns) | set(self.readonly_columns)
        columns: dict[str, int] = {}
        problems = []
        for position, header in enumerate(headers):
            name = "" if header is None else str(header).strip().lower()
            if not name:
                continue  # cells under an empty header are checked per row
            if name in columns:
                problems.append(
                    ImportFileError("repeated column.", line=1, column=name)
                )
            elif name not in known:
                problems.append(
                    ImportFileError(
                        "unknown column; expected " + self.describe_columns() + ".",
                        line=1,
                        column=name,
                    )
                )
            else:
                columns[name] = position
        for name in self.required_columns:
            if name not in columns:
                problems.append(
                    ImportFileError("required column is missing.", line=1, column=name)
                )
        return columns, problems

    def describe_columns(self) -> str:
        text = ", ".join(self.required_columns)
        if self.optional_columns:
            text += " and optionally " + ", ".join(self.optional_columns)
        return text

    def parse_rows(
        self, dataset, columns: dict[str, int], *, keep_cells: bool = True
    ) -> list[ParsedRow]:
        unnamed = [
            position
            for position, header in enumerate(dataset.headers or [])
            if header is None or not str(header).strip()
        ]
        parsers = [
            (name, columns[name], self.fields[name].widget)
            for name in self.present_columns
        ]
        first = parsers[0][1] if parsers else 0
        rows = []
        for line, cells in enumerate(dataset, start=2):
            if _is_blank(cells[first]) and all(map(_is_blank, cells)):
                continue  # a blank row
            values = {}
            row = ParsedRow(
                line=line,
                cells=cells if keep_cells else (),
                columns=columns,
                values=values,
            )
            for name, position, widget in parsers:
                try:
                    values[name] = widget.clean(cells[position])
                except ValueError as error:
                    row.add_error(name, str(error))
            for position in unnamed:
                if not _is_blank(cells[position]):
                    row.add_error(
                        f"#{position + 1}",
                        f"value '{_cell_text(cells[position])}' in a column "
                        "without a header.",
                    )
            rows.append(row)
        return rows

    def check_required(self, rows: Iterable[ParsedRow]) -> None:
        names = [
            c for c in self.required_columns if c not in self.blank_allowed_columns
        ]
        for row in rows:
            for name in names:
                if name not in row.errors and row.values.get(name) in (None, ""):
                    row.add_error(name, "a value is required.")

    def check_duplicate_keys(self, rows: Iterable[ParsedRow]) -> None:
        if not self.key_columns:
            return
        first_line: dict[tuple, int] = {}
        for row in rows:
            key = tuple(row.values.get(name) for name in self.key_columns)
            if any(part in (None, "") for part in key):
                continue
            if key in first_line:
                row.add_error(
                    self.key_columns[-1],
                    f"duplicate: line {first_line[key]} has the same "
                    + " and ".join(
                        f"{name} '{value}'"
                        for name, value in zip(self.key_columns, key, strict=True)
                    )
                    + ".",
                )
            else:
                first_line[key] = row.line

    def validate_rows(self, rows: list[ParsedRow], **kwargs) -> None:
        """Cross-row and database checks; add errors to the rows."""

    def write_rows(self, rows: list[ParsedRow], *, user=None) -> None:
        raise NotImplementedError

    def write_checked(self, rows: list[ParsedRow], *, user=None) -> None:
        """``write_rows`` in a savepoint; a value the database refuses (an
        overflow, a constraint) becomes an ``ImportFileError`` naming the line
        that first makes the write fail, when it can be found."""
        try:
            with transaction.atomic():
                self.write_rows(rows, user=user)
        except (DataError, IntegrityError) as error:
            line = self.locate_database_error(rows, user=user)
            for row in rows:  # errors a probe added; the file-level error stands
                row.errors.clear()
            raise ImportFileError(
                f"the database refused the data ({database_message(error)}); "
                "nothing was imported.",
                line=line,
            ) from error

    def locate_database_error(self, rows: list[ParsedRow], *, user=None) -> int | None:
        """The line of the first row whose write fails: the shortest failing
        prefix of the rows, by bisection, each probe rolled back. The writes are
        set-based, so this costs about log2(n) writes of the file; above
        ``LOCATE_ROWS_MAX`` rows it is not tried (None)."""
        if len(rows) > LOCATE_ROWS_MAX:
            return None
        good, bad = 0, len(rows)  # rows[:good] write; rows[:bad] fail
        while bad - good > 1:
            middle = (good + bad) // 2
            try:
                with transaction.atomic():
                    self.write_rows(rows[:middle], user=user)
                    raise _ProbeDone
            except _ProbeDone:
                good = middle
            except (DataError, IntegrityError, RowsInvalid):
                bad = middle
        return rows[bad - 1].line

    def fill_result(self, result, rows: list[ParsedRow], *, preview: bool) -> None:
        row_result_class = self.get_row_result_class()
        for row in rows:
            if not row.errors and not preview:
                # Counts are all a command or background run reads: no per-row
                # result object for 100,000 valid rows.
                result.totals[row.import_type or RowResult.IMPORT_TYPE_SKIP] += 1
                continue
            row_result = row_result_class()
            if row.errors:
                row_result.import_type = RowResult.IMPORT_TYPE_INVALID
                row_result.validation_error = ValidationError(
                    dict(sorted(row.errors.items(), key=self._column_order))
                )
                result.append_invalid_row(
                    row.line, row.raw, row_result.validation_error
                )
            else:
                row_result.import_type = row.import_type or RowResult.IMPORT_TYPE_SKIP
                if preview:
                    raw = row.raw
                    # Plain text: the preview template escapes it (once).
                    row_result.diff = [
                        _cell_text(raw.get(name)) for name in result.diff_headers
                    ]
            result.increment_row_result_total(row_result)
            result.append_row_result(row_result)

    def export(self, queryset=None, **kwargs):
        """The library's export, with the per-cell work done once per column
        (its own export looks up the field list and dehydrate method for every
        cell): 100,000 items in a few seconds instead of twenty."""
        self.before_export(queryset, **kwargs)
        if queryset is None:
            queryset = self.get_queryset()
        queryset = self.filter_export(queryset, **kwargs)
        selected = kwargs.get("export_fields")
        names = [
            name
            for name in self.get_export_order()
            if name in self.fields and (not selected or name in selected)
        ]
        methods = [
            getattr(self, self.fields[name].get_dehydrate_method(name), None)
            for name in names
        ]
        if any(methods):
            cells = [self._cell_exporter(name) for name in names]
            rows = [
                [cell(instance) for cell in cells]
                for instance in self.iter_queryset(queryset)
            ]
        else:  # plain columns: rows of values, no model instances
            renders = [self.fields[name].widget.render for name in names]
            attributes = [self.fields[name].attribute for name in names]
            rows = [
                [render(value) for render, value in zip(renders, values, strict=True)]
                for values in queryset.values_list(*attributes).iterator(
                    chunk_size=self.get_chunk_size()
                )
            ]
        dataset = tablib.Dataset(
            *rows, headers=[self.fields[name].column_name for name in names]
        )
        self.after_export(queryset, dataset, **kwargs)
        return dataset

    def _cell_exporter(self, name: str):
        field = self.fields[name]
        method = getattr(self, field.get_dehydrate_method(name), None)
        if method is not None:
            return method
        # Exported relations are never null, so a plain attribute chain will do.
        get_value = attrgetter(field.attribute.replace("__", "."))
        render = field.widget.render
        return lambda instance: render(get_value(instance))

    def _column_order(self, item) -> int:
        """Errors of a row in the file's column order (unnamed columns last)."""
        try:
            return self.import_columns.index(item[0])
        except ValueError:
            return len(self.import_columns)

    def after_import(self, dataset, result, **kwargs):
        """Rows are written with explicit values only; no sequence to reset."""

    # -- helpers for subclasses ----------------------------------------------------

    @staticmethod
    def ids_by(model, field_name: str, values: Iterable) -> dict:
        """``{value: pk}`` for the given natural keys."""
        found = {}
        for queryset in filter_in(model.objects.all(), field_name, values):
            found.update(queryset.values_list(field_name, "pk"))
        return found


def result_issues(result) -> list[str]:
    """Every error of an import result as one line of text, in file order."""
    issues: list[tuple[int, str, str]] = []
    for error in result.base_errors:
        exc = error.error
        if isinstance(exc, ImportFileError):
            issues.append((exc.line or 0, exc.column, exc.message))
        else:
            issues.append((0, "", f"{type(exc).__name__}: {exc}"))
    for invalid in result.invalid_rows:
        for column, messages in invalid.error_dict.items():
            column = "" if column == NON_FIELD_ERRORS else column
            for message in messages:
                issues.append((invalid.number, column, message))
    for number, errors in result.row_errors():
        for error in errors:
            issues.append((number, "", f"{type(error.error).__name__}: {error.error}"))
    issues.sort(key=lambda issue: issue[0])
    return [
        format_issue(line or None, column, message) for line, column, message in issues
    ]
