"""How figures read: the one place that turns numbers and codes into text.

Pages, messages, refusals, e-mails and the display columns of exports all format
through these functions (templates through the ``formatting`` filter library,
``inventory_site/templatetags/formatting.py``), so a quantity reads the same
wherever it appears. The API and the data exports keep the exact stored values;
only what a person reads is rounded.

The rules:

- **Money**: two decimals, thousands grouped, the site's currency after the
  amount (``CURRENCY``): ``1,234.50 EUR``.
- **Quantities** follow the unit. An item counted in whole units
  (``WHOLE_UNITS``: ea, pc, box …) never shows a fraction; a unit that allows
  decimals (kg, m, l …) shows at most three, the ledger's own precision, with
  trailing zeros dropped: ``12``, ``2.5``, ``0.125``. Without a unit the value is
  shown as it is (every significant decimal): that is the form for messages that
  repeat what someone typed ("1.5 is not a whole number"), and for the value of an
  input field, which must read back as the same number (no grouping there).
- **Rates and days** are rounded for reading: fewer decimals the larger the
  figure (``123 d``, ``4.5 d``, ``0.25/day``); percentages one decimal.
- **Codes** become labels (``jit`` → "JIT (small frequent batches)") through the
  model's choices, passed in by the caller (this module imports no app).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings

DASH = "—"
CENT = Decimal("0.01")
#: Decimal places a quantity of a unit that allows fractions is shown with (the
#: ledger stores three).
QUANTITY_PLACES = 3


def to_decimal(value) -> Decimal | None:
    """``value`` as a finite Decimal, or None (None, "", text, NaN, infinity)."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError, TypeError):
            return None
    return number if number.is_finite() else None


def is_whole_unit(unit: str | None) -> bool:
    """Whether items of this unit are counted in whole numbers (``WHOLE_UNITS``)."""
    whole = getattr(settings, "WHOLE_UNITS", ())
    return (unit or "").strip().lower() in {u.strip().lower() for u in whole}


def _round(number: Decimal, places: int) -> Decimal:
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _text(number: Decimal, *, places: int | None, grouping: bool) -> str:
    """``number`` rounded to at most ``places`` decimals (None: as it is),
    trailing zeros dropped, optionally with thousands separators."""
    if places is not None:
        number = _round(number, places)
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    else:
        number = number.normalize()
    if number == 0:
        number = Decimal(0)  # no "-0"
    return f"{number:,f}" if grouping else f"{number:f}"


def quantity(value, unit: str | None = None, *, grouping: bool = True) -> str:
    """A quantity as a person reads it: by the unit's rule (module docstring),
    or exactly when no unit is given. A dash for no value."""
    number = to_decimal(value)
    if number is None:
        return DASH if value is None or value == "" else str(value)
    places = None  # as it is
    if unit is not None:
        places = 0 if is_whole_unit(unit) else QUANTITY_PLACES
    return _text(number, places=places, grouping=grouping)


def quantity_with_unit(value, unit: str, *, grouping: bool = True) -> str:
    """``12 ea``, ``2.5 kg``."""
    return f"{quantity(value, unit, grouping=grouping)} {unit}".rstrip()


def exact(value) -> str:
    """The value with every significant decimal and no grouping: for messages
    that repeat a figure and for input fields (``12``, ``2.5``, ``0.125``)."""
    return quantity(value, None, grouping=False)


def money(value, currency: str | None = None) -> str:
    """``1,234.50 EUR`` (``CURRENCY`` unless given); a dash for no value."""
    number = to_decimal(value)
    if number is None:
        return DASH
    return f"{_round(number, 2):,.2f} {currency or settings.CURRENCY}"


def reading_places(number: Decimal) -> int:
    """Decimals a rate or a number of days is read with: none from 10 up, one
    from 1, two below (``123``, ``4.5``, ``0.25``)."""
    size = abs(number)
    if size >= 10:
        return 0
    if size >= 1:
        return 1
    return 2


def figure(value) -> str:
    """A computed figure rounded for reading (``reading_places``), grouped."""
    number = to_decimal(value)
    if number is None:
        return DASH
    return _text(number, places=reading_places(number), grouping=True)


def days(value) -> str:
    """A number of days: ``123 d``, ``4.5 d``; a dash for none."""
    text = figure(value)
    return text if text == DASH else f"{text} d"


def rate(value, unit: str = "") -> str:
    """A rate per day: ``6.6 ea/day``, ``0.25/day``; a dash for none."""
    text = figure(value)
    if text == DASH:
        return text
    return f"{text} {unit}/day" if unit else f"{text}/day"


def percent(value, places: int = 1) -> str:
    """A rate 0.9512 → ``95.1 %``; a dash for none."""
    number = to_decimal(value)
    if number is None:
        return DASH
    return f"{_round(number * 100, int(places)):,.{int(places)}f} %"


def share(value, places: int = 1) -> str:
    """A share already in percent (80 → ``80.0 %``)."""
    number = to_decimal(value)
    if number is None:
        return DASH
    return f"{_round(number, int(places)):,.{int(places)}f} %"


def count(value) -> str:
    """A whole count with thousands grouped (``1,234``)."""
    number = to_decimal(value)
    if number is None:
        return DASH
    return _text(number, places=0, grouping=True)


def prefixed(prefix: str, message) -> str:
    """``"Nothing received: <message>"``, unless the message already opens with
    the prefix (a refusal that says it itself is not repeated)."""
    text = str(message)
    if text.lower().startswith(prefix.lower()):
        return text
    return f"{prefix}: {text}"


def label(code, choices: Iterable[tuple[str, str]], *, empty: str = DASH) -> str:
    """The label of ``code`` in ``choices`` (a TextChoices' ``.choices`` or
    pairs); the code itself when it has none, ``empty`` for no code."""
    if code is None or code == "":
        return empty
    return dict(choices).get(code, str(code))
