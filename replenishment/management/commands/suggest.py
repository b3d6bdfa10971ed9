import json
from decimal import Decimal

from django.core.management.base import BaseCommand

from replenishment.selectors import suggestions_open
from replenishment.services import suggestions_generate
from suppliers.services import supplier_scores_refresh


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


class Command(BaseCommand):
    help = (
        "Refresh supplier scores and regenerate reorder suggestions now; print a "
        "summary, or the open suggestions as JSON with --format json."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options):
        supplier_scores_refresh()
        result = suggestions_generate()
        if options["format"] == "json":
            rows = [
                {
                    "sku": s.item.sku,
                    "supplier": s.supplier.code,
                    "quantity": _number(s.quantity),
                    "order_by": s.order_by.isoformat(),
                    "policy": s.policy,
                    "reason": s.reason,
                }
                for s in suggestions_open()
            ]
            self.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        open_count = suggestions_open().count()
        self.stdout.write(
            f"Planned {result.items} items: {result.created} new suggestions, "
            f"{result.kept} unchanged, {result.superseded} superseded; "
            f"{open_count} open."
        )
