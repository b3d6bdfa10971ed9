from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from inventory_site.locks import TimeLimitExceeded, job_lock, time_limit
from replenishment.classification import ClassificationError, items_reclassify
from replenishment.models import JitScope
from replenishment.services import (
    classification_run_skip,
    classification_runs_fail_stale,
)
from replenishment.tasks import RECLASSIFY_LOCK


def _counts(counts: dict) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items())


class Command(BaseCommand):
    help = (
        "Run the ABC/XYZ classification now (as the nightly job does, under the "
        "same lock and time limit) and print the items per class and how many "
        "changed."
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
                if acquired.reason == "held":
                    classification_runs_fail_stale(lock_held=False)
                classification_run_skip(reason=acquired.message)
                if acquired.reason == "held":
                    raise CommandError(
                        "Another classification run is in progress; try again later."
                    )
                raise CommandError(f"Nothing was run: {acquired.message}.")
            stale = classification_runs_fail_stale(lock_held=True)
            if stale:
                self.stderr.write(
                    f"Marked {stale} interrupted classification run(s) failed."
                )
            try:
                with time_limit(settings.NIGHTLY_TASK_TIME_LIMIT):
                    run = items_reclassify(
                        a_threshold=options["a_threshold"],
                        b_threshold=options["b_threshold"],
                        jit_scope=options["jit_scope"],
                    )
            except (ClassificationError, TimeLimitExceeded) as error:
                raise CommandError(f"Classification failed: {error}") from error
        counts = run.counts
        self.stdout.write(
            f"Classified {run.items_total} items in {run.duration_seconds:.2f} s "
            f"(run {run.pk}): {run.items_changed} changed class or policy."
        )
        self.stdout.write(f"ABC: {_counts(counts['abc'])}")
        self.stdout.write(f"XYZ: {_counts(counts['xyz'])}")
        self.stdout.write(f"Policy: {_counts(counts['policy'])}")
