"""Cell values: parsed on import, rendered on export (django-import-export
widgets). Each ``clean`` raises ``ValueError`` with a message for the user; the
resource reports it by line and column.

Spreadsheet formulas are escaped on export: a text value starting with ``=``,
``+``, ``-``, ``@``, a tab, a carriage return or a ``'`` gets a leading ``'``,
which the import strips again, so a round trip is lossless. Numbers are never
escaped (``-5`` stays ``-5``). Booleans are 1/0, true/false, yes/no; datetimes
ISO 8601 (a date alone is midnight in the site's time zone).
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from import_export import widgets

from inventory_site.dates import (
    DateOutOfRange,
    check_event_moment,
    check_planned_date,
    event_window,
)
from inventory_site.limits import decimal_max

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
TRUE_WORDS = {"1", "true", "yes"}
FALSE_WORDS = {"0", "false", "no"}


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


def cell_text(value) -> str:
    """A cell as trimmed text (``""`` for an empty cell); spreadsheets hand over
    whole numbers as int or float."""
    if value.__class__ is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def is_blank(value) -> bool:
    return not cell_text(value)


class TextWidget(widgets.Widget):
    """Text: trimmed, formula escape undone, length checked, NUL characters
    refused; blank → ``""``."""

    def __init__(self, *, max_length: int, escape: bool = True):
        super().__init__(coerce_to_string=True)
        self.max_length = max_length
        self.escape = escape

    def clean(self, value, row=None, **kwargs) -> str:
        text = cell_text(value)
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
        return cell_text(value)

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
        self.limit = decimal_max(max_digits, decimal_places)
        self.step = Decimal(1).scaleb(-decimal_places)

    def clean(self, value, row=None, **kwargs) -> Decimal | None:
        if isinstance(value, bool):
            raise ValueError(f"'{value}' is not a number.")
        text = cell_text(value)
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
        text = cell_text(value)
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
        text = cell_text(value)
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
        raise ValueError(f"'{cell_text(cell)}' {error.reason}") from None


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
            text = cell_text(value)
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
        text = cell_text(value)
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
