"""The base of every import resource (django-import-export) and the registry
that names them.

Every resource validates a whole file before it writes anything, then writes
through one service of its app (set-based: statements per batch, never per row;
stock only through the ledger), all in the one transaction
``Resource.import_data`` opens. It overrides ``import_data_inner`` but returns
the library's own ``Result``: invalid rows land in ``result.invalid_rows``
(``number`` = file line, header = line 1; errors keyed by column), file-level
problems (headers) in ``result.base_errors``. So the admin's dry-run preview and
the ``import_data`` command show the same errors, and any error means nothing is
written. Blank rows are skipped but still counted.

The resources are named in the ``BULK_RESOURCES`` setting (name → dotted path of
the class, as ``CELERY_BEAT_SCHEDULE`` names tasks): ``bulk`` imports no domain
app; it finds them through the setting.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

import tablib
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils.module_loading import import_string
from import_export import resources
from import_export.results import RowResult

from .errors import ImportFileError, RowsInvalid, format_issue
from .widgets import cell_text, is_blank

logger = logging.getLogger(__name__)

LOCATE_ROWS_MAX = 100_000  # a database error is traced to its line up to this size
NEW = RowResult.IMPORT_TYPE_NEW
UPDATE = RowResult.IMPORT_TYPE_UPDATE
SKIP = RowResult.IMPORT_TYPE_SKIP


def resource_names() -> list[str]:
    """The names ``import_data`` and ``export_data`` take, sorted."""
    return sorted(settings.BULK_RESOURCES)


def resource_class(name: str) -> type[BulkResource]:
    """The resource class registered as ``name`` in ``BULK_RESOURCES``."""
    return import_string(settings.BULK_RESOURCES[name])


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
            if is_blank(cells[first]) and all(map(is_blank, cells)):
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
                if not is_blank(cells[position]):
                    row.add_error(
                        f"#{position + 1}",
                        f"value '{cell_text(cells[position])}' in a column "
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
                        cell_text(raw.get(name)) for name in result.diff_headers
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
