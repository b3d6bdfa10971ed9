"""With planned demand (DESIGN §8), each projected order is still what the
engine suggests on its order-by date."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal as D

from portal.forecast import project_orders
from replenishment.planning import PlannedDay, plan_item
from tests.portal.test_forecast import PARAMS, WEDNESDAY, figures


def test_projected_orders_with_planned_demand_are_the_engines_suggestions():
    planned = (
        PlannedDay(WEDNESDAY + timedelta(days=20), D("200"), "firm", "SO-1"),
        PlannedDay(WEDNESDAY + timedelta(days=35), D("120"), "planned", ""),
    )
    item = replace(figures(), planned=planned)
    until = WEDNESDAY + timedelta(days=60)
    orders = project_orders(item, params=PARAMS, today=WEDNESDAY, until=until)
    plain = project_orders(figures(), params=PARAMS, today=WEDNESDAY, until=until)
    assert orders != plain  # the planned lines change the orders
    assert sum(o.quantity for o in orders) >= sum(o.quantity for o in plain) + 300
    on_hand, on_order, arrivals, day = item.on_hand, D("0"), [], WEDNESDAY
    by_day = {p.day: p.quantity for p in planned}
    for order in orders:
        while day < order.order_by:
            on_hand -= max(item.daily_demand, by_day.get(day, D("0")))
            day += timedelta(days=1)
            for a in [a for a in arrivals if a[0] <= day]:
                arrivals.remove(a)
                on_hand, on_order = on_hand + a[1], on_order - a[1]
        plan = plan_item(
            replace(item, on_hand=on_hand, on_order=on_order), params=PARAMS, today=day
        )
        assert (plan.order_by, plan.quantity) == (order.order_by, order.quantity)
        arrivals.append((plan.expected_arrival, plan.quantity))
        on_order += plan.quantity
