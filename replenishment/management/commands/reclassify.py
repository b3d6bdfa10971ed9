from django.core.management.base import BaseCommand, CommandError

from inventory_site.locks import job_lock
from replenishment.classification import (
    ClassificationError,
    classification_run_skip,
    items_reclassify,
)
from replenishment.models import JitScope
from replenishment.tasks import RECLASSIFY_LOCK


def _counts(counts: dict) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items())


class Command(BaseCommand):
    help = (
        "Run the ABC/XYZ classification now (as the nightly job does) and print "
        "the items per class and how many changed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--a-threshold", type=int, help="A up to this cumulative share (%%)."
        )
        parser.add_argument(
            "--b-threshold", type=int, help="B up to this cumulative share (%%)."
        )
        parser.add_argument(
            "--jit-scope",
            choices=JitScope.values,
            help="Default: the policy parameters' JIT scope.",
        )

    def handle(self, *args, **options):
        with job_lock(RECLASSIFY_LOCK) as acquired:
            if not acquired:
                classification_run_skip()
                raise CommandError(
                    "Another classification run is in progress; try again later."
                )
            try:
                run = items_reclassify(
                    a_threshold=options["a_threshold"],
                    b_threshold=options["b_threshold"],
                    jit_scope=options["jit_scope"],
                )
            except ClassificationError as error:
                raise CommandError(str(error)) from error
        counts = run.counts
        self.stdout.write(
            f"Classified {run.items_total} items in {run.duration_seconds:.2f} s "
            f"(run {run.pk}): {run.items_changed} changed class or policy."
        )
        self.stdout.write(f"ABC: {_counts(counts['abc'])}")
        self.stdout.write(f"XYZ: {_counts(counts['xyz'])}")
        self.stdout.write(f"Policy: {_counts(counts['policy'])}")
