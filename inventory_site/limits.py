"""The largest value a decimal column holds, the same on every database.

A ``DecimalField(max_digits=16, decimal_places=3)`` holds 9999999999999.999 on
PostgreSQL (numeric), but SQLite keeps decimals as binary floats and Django
reads them back through 15 significant digits: 9999999999999.999 comes back as
10000000000000.00 and every page, report and export reading that row fails.
So the limit of a column is its integer digits with as many decimal places as
fit into 15 significant digits (at most ``decimal_places``) — for quantities
9999999999999.99, for money (14, 4) 9999999999.9999 — and imports, the API,
forms and the ledger (after its arithmetic: on_hand + quantity) all check
against it, so both databases accept and refuse the same values.
"""

from decimal import Decimal

#: Significant digits Django's SQLite backend reads a decimal with.
READABLE_DIGITS = 15


def decimal_max(max_digits: int, decimal_places: int) -> Decimal:
    integer_digits = max_digits - decimal_places
    places = max(0, min(decimal_places, READABLE_DIGITS - integer_digits))
    return Decimal(10) ** integer_digits - Decimal(1).scaleb(-places)


def column_max(model, field_name: str) -> Decimal:
    """The largest value the model's ``DecimalField`` ``field_name`` holds."""
    field = model._meta.get_field(field_name)
    return decimal_max(field.max_digits, field.decimal_places)
