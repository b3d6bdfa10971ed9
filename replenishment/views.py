from django.shortcuts import render

from items.selectors import stock_overview
from suppliers.selectors import deliveries_open_recent, supplier_overview


def overview(request):
    """The landing page: stock and supplier figures at a glance."""
    return render(
        request,
        "replenishment/overview.html",
        {
            "stock": stock_overview(),
            "suppliers": supplier_overview(),
            "open_deliveries": deliveries_open_recent(),
        },
    )
