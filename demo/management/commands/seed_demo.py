import time

from django.core.management.base import BaseCommand, CommandError

from demo.services import (
    DEFAULT_ITEMS,
    DEFAULT_SEED,
    DemoDataConflict,
    demo_data_seed,
)


class Command(BaseCommand):
    help = (
        "Load a year of realistic demo data: items, suppliers, sources, deliveries "
        "and stock movements. Does nothing when items exist."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--items",
            type=int,
            default=DEFAULT_ITEMS,
            help=f"How many items (default {DEFAULT_ITEMS}).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed, same seed same data (default {DEFAULT_SEED}).",
        )

    def handle(self, *args, items: int, seed: int, **options):
        if items < 1:
            raise CommandError("--items must be at least 1.")
        started = time.perf_counter()
        try:
            result = demo_data_seed(items=items, seed=seed)
        except DemoDataConflict as error:
            raise CommandError(str(error)) from error
        if result.skipped:
            self.stdout.write(
                f"Demo data already present ({result.existing_items} items); "
                "nothing to do."
            )
            return
        kinds = result.movements_by_kind
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded demo data in {time.perf_counter() - started:.1f} s "
                f"(seed {seed}):"
            )
        )
        self.stdout.write(
            f"  {result.items:,} items ({result.pilot_items} in the JIT pilot), "
            f"{result.suppliers} suppliers, {result.sources:,} sources\n"
            f"  {result.deliveries:,} deliveries with {result.delivery_lines:,} lines "
            f"({result.open_deliveries} open, {result.late_deliveries} of them late)\n"
            f"  {result.movements:,} stock movements: "
            + ", ".join(f"{count:,} {kind}" for kind, count in kinds.items())
        )
