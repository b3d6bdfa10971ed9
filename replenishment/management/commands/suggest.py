import json
from contextlib import ExitStack
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from inventory_site.locks import TimeLimitExceeded, job_lock, time_limit
from replenishment.generation import suggestions_generate
from replenishment.selectors import suggestions_open
from replenishment.tasks import SUGGESTIONS_LOCK, SUPPLIER_SCORES_LOCK
from suppliers.services import supplier_scores_refresh

IN_PROGRESS = (
    "a run is in progress (the nightly job or another suggest); try again later"
)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


class Command(BaseCommand):
    help = (
        "Refresh supplier scores and regenerate reorder suggestions now, under the "
        "nightly job's locks; print a summary, or the open suggestions as JSON "
        "with --format json."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, **options):
        with ExitStack() as locks:
            for name in (SUPPLIER_SCORES_LOCK, SUGGESTIONS_LOCK):
                acquired = locks.enter_context(job_lock(name))
                if not acquired:
                    if acquired.reason == "held":
                        raise CommandError(f"Nothing was run: {IN_PROGRESS}.")
                    raise CommandError(f"Nothing was run: {acquired.message}.")
            try:
                with time_limit(settings.NIGHTLY_TASK_TIME_LIMIT):
                    supplier_scores_refresh()
                    result = suggestions_generate()
            except IntegrityError as error:
                # Nightly chunk tasks (which take per-chunk locks only) wrote the
                # same open suggestions meanwhile; their chunk was rolled back.
                raise CommandError(f"Stopped: {IN_PROGRESS}.") from error
            except TimeLimitExceeded as error:
                raise CommandError(f"Stopped: {error}.") from error
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
