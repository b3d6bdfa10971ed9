"""Reading import files: CSV (UTF-8) and .xlsx into a ``Table``.

Row numbers follow the file-line convention: the header is line 1, the first data
row line 2 (for .xlsx the spreadsheet's row number). Blank rows are kept (as
empty rows) so numbers match the file.

Limits, checked while reading and before any row is validated: at most
``IMPORT_MAX_ROWS`` rows after the header (a reader stops at the first row
beyond it); a file with a header but no data rows is refused; an .xlsx workbook
is refused before it is opened when its members unpack to more than
``IMPORT_MAX_XLSX_UNPACKED_BYTES`` (a zip bomb), and before its rows are read when
the sheet's declared dimension has too many rows. Sheets are streamed
(openpyxl read-only, values only) without trusting the declared dimension, and a
row wider than ``MAX_COLUMNS`` cells is refused.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from django.conf import settings
from import_export.formats import base_formats

from .errors import ImportFileError, TooManyRows
from .widgets import is_blank

MAX_COLUMNS = 100  # cells per row read from a file (our widest resource has 10)
SUPPORTED_EXTENSIONS = (".csv", ".xlsx")


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
    if not header or all(is_blank(cell) for cell in header):
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
        any(not is_blank(cell) for row in data for cell in row),
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
