"""Lead times across clock changes, leap days and west-of-UTC evenings, measured
by the database (both engines) the way ``inventory_site.dates`` defines them."""

from datetime import date, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings

from suppliers.models import DeliveryStatus
from suppliers.selectors import (
    lead_time_stats,
    supplier_lead_times,
    supplier_scores_compute,
)
from tests.factories import (
    DeliveryFactory,
    DeliveryLineFactory,
    ItemFactory,
    SupplierFactory,
)

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def at_ten(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=BERLIN)


def received(supplier, item, ordered_at, received_at, promised):
    delivery = DeliveryFactory(
        supplier=supplier,
        status=DeliveryStatus.RECEIVED,
        ordered_at=ordered_at,
        received_at=received_at,
        promised_date=promised,
    )
    DeliveryLineFactory(
        delivery=delivery,
        item=item,
        quantity_ordered=D("10"),
        quantity_received=D("10"),
    )
    return delivery


@pytest.mark.parametrize(
    ("first_order", "today"),
    [
        (date(2026, 10, 22), date(2026, 11, 2)),  # across 25 Oct (autumn)
        (date(2026, 3, 26), date(2026, 4, 6)),  # across 29 Mar (spring)
        (date(2028, 2, 26), date(2028, 3, 8)),  # across 29 Feb
    ],
)
def test_three_calendar_days_is_three_days_across_a_clock_change(first_order, today):
    supplier = SupplierFactory(code="ACME")
    item = ItemFactory()
    with time_machine.travel(
        datetime(today.year, today.month, today.day, 10, tzinfo=BERLIN)
    ):
        # ordered at 10:00 on three consecutive days, each received 3 dates later
        for offset in range(3):
            ordered_day = first_order + timedelta(days=offset)
            arrival = ordered_day + timedelta(days=3)
            received(
                supplier,
                item,
                datetime(
                    ordered_day.year,
                    ordered_day.month,
                    ordered_day.day,
                    10,
                    tzinfo=BERLIN,
                ),
                at_ten(arrival),
                promised=arrival,
            )
        score = supplier_scores_compute(today=today)[supplier.pk]
        assert score.lead_time_mean_days == D("3.00")
        assert score.lead_time_std_days == D("0.00")
        assert score.on_time_rate == D("1")
        assert lead_time_stats([item.pk])[(supplier.pk, item.pk)] == (3, 3.0, 0.0)
        assert [days for _, days, _ in supplier_lead_times(supplier)] == [3, 3, 3]


@override_settings(TIME_ZONE="America/New_York")
def test_late_evening_west_of_utc_counts_local_dates():
    """Ordered at 23:40 on 1 Dec in New York (04:40 UTC on the 2nd), received at
    08:00 on the 4th: 3 local days, and on time for a promise of the 4th."""
    new_york = ZoneInfo("America/New_York")
    supplier = SupplierFactory()
    item = ItemFactory()
    with time_machine.travel(datetime(2026, 12, 10, 23, 40, tzinfo=new_york)):
        received(
            supplier,
            item,
            datetime(2026, 12, 1, 23, 40, tzinfo=new_york),
            datetime(2026, 12, 4, 8, 0, tzinfo=new_york),
            promised=date(2026, 12, 4),
        )
        score = supplier_scores_compute(today=date(2026, 12, 10))[supplier.pk]
        assert score.lead_time_mean_days == D("3.00")
        assert score.on_time_rate == D("1")
        assert lead_time_stats([item.pk])[(supplier.pk, item.pk)][1] == 3.0
