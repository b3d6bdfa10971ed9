"""When to order: due, not early, and never nagging (DESIGN §7, issue 17).

Pure functions on plain values (no database), used by ``planning.plan_item`` and
by suggestion generation.

**Weekly order day.** A supplier may take orders on one day of the week only
(``Supplier.order_weekday``, 0 = Monday … 6 = Sunday, as ``date.weekday()``).
An order placed on that day must then last until the order of the *next* order
day arrives, so the review period R = 7 days is added to the protection interval
(trigger + d·R, and so the order-up-to level too) instead of ordering early, and
the order-by date is the first order day on or after the day the projection
reaches that trigger:

    order day k: the first k ≥ crossing with (today + k).weekday() = order_weekday

Example: Mondays, d = 10/day, L = 5, ST = 1, T = 7 (jit): trigger = 10·(5+1+7)
= 130, order up to 130 + 10·7 = 200. Position 150 on a Wednesday crosses 130 in
⌊(150−130)/10⌋ = 2 days (Friday); the next Monday is 5 days out: order by that
Monday, when the position is 150 − 50 = 100 and Q = 200 − 100 = 100.

**Covered until the next order date.** An item whose accepted order keeps its
projected position above the trigger until a later order date is not suggested
before that date: its order-by is in the future and it was ordered within its
current cycle — stock is on order (an accepted suggestion's draft line, or an
order placed), or a suggestion for it was accepted less than one delivery
interval T ago (the batch may have arrived already) — so there is nothing to
decide today. Without this, an A item accepted at exactly the suggested quantity
sits at its order-up-to level S = ROP + d·T, which with T = horizon = 7 days
reaches ROP again on the last day of the horizon — the next batch would be
suggested right after the first was accepted. The suggestion appears on its
order-by date instead (due), and "accept all" then takes it. An item with
nothing ordered in its cycle is still shown up to the horizon ahead.
"""

from __future__ import annotations

from datetime import date

#: Days until the next order day when a supplier takes orders once a week.
REVIEW_PERIOD_DAYS = 7

WEEKDAYS = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)


def review_period_days(order_weekday: int | None) -> int:
    """R: 7 for a supplier with a weekly order day, else 0 (any day)."""
    return 0 if order_weekday is None else REVIEW_PERIOD_DAYS


def is_order_day(day: date, order_weekday: int | None) -> bool:
    return order_weekday is None or day.weekday() == order_weekday


def next_order_offset(today: date, offset: int, order_weekday: int | None) -> int:
    """The first offset ≥ ``offset`` (days from ``today``) that is an order day."""
    if order_weekday is None:
        return offset
    weekday = (today.weekday() + offset) % 7
    return offset + (order_weekday - weekday) % 7


def review_note(order_weekday: int | None) -> str:
    """What the reason says about the order day (empty without one)."""
    if order_weekday is None:
        return ""
    return (
        f"ordered on {WEEKDAYS[order_weekday]}s: {REVIEW_PERIOD_DAYS} d to the "
        "next order day added to the protection interval"
    )


def covered_until_order_date(
    *,
    order_by: date | None,
    today: date,
    on_order,
    accepted_on: date | None = None,
    interval_days: int = 0,
) -> bool:
    """Whether a planned order is not to be suggested yet: its order-by is a
    later day, and the item was ordered in its current cycle — something is on
    order, or a suggestion was accepted on ``accepted_on``, less than
    ``interval_days`` (T) ago."""
    if order_by is None or order_by <= today:
        return False
    if on_order > 0:
        return True
    return accepted_on is not None and (today - accepted_on).days < interval_days
