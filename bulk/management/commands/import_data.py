import time

from django.core.management.base import BaseCommand, CommandError
from import_export.results import RowResult

from bulk.errors import ImportFileError
from bulk.readers import read_dataset
from bulk.resources import resource_class, resource_names, result_issues


class Command(BaseCommand):
    help = (
        "Import items, suppliers, sources, deliveries or movements from a .csv or "
        ".xlsx file, all or nothing: any invalid row means nothing is written, "
        "every error is listed with its line (header = line 1) and column, and the "
        "command exits non-zero. The admin import uses the same resources."
    )
    # The system checks import the whole URL configuration (views, API, schema):
    # about a second of start-up that a file import does not need. `manage.py
    # check`, migrate and the server still run them.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("resource", choices=resource_names())
        parser.add_argument("path", help="a .csv (UTF-8) or .xlsx file")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="validate and report what would change, write nothing",
        )

    def handle(self, *args, resource, path, dry_run, verbosity, **options):
        started = time.perf_counter()
        try:
            dataset = read_dataset(path)
        except ImportFileError as error:
            raise CommandError(f"{path}: {error}") from None
        read = time.perf_counter()
        importer = resource_class(resource)()
        result = importer.import_data(dataset, dry_run=dry_run, preview=False)
        if verbosity >= 2:
            done = time.perf_counter()
            self.stdout.write(
                f"Timing: read {len(dataset)} rows in {read - started:.3f} s, "
                f"validated and wrote them in {done - read:.3f} s."
            )
        issues = result_issues(result)
        if issues:
            for issue in issues:
                self.stderr.write(f"{path}: {issue}")
            raise CommandError(
                f"{len(issues)} error(s) in {path}; nothing was imported."
            )
        for warning in getattr(result, "import_warnings", ()):
            self.stderr.write(f"{path}: {warning}")
        totals = result.totals
        counts = (
            f"{totals[RowResult.IMPORT_TYPE_NEW]} created, "
            f"{totals[RowResult.IMPORT_TYPE_UPDATE]} updated, "
            f"{totals[RowResult.IMPORT_TYPE_SKIP]} unchanged"
        )
        if importer.ignored_columns:
            self.stdout.write(
                f"Ignored read-only column(s): {', '.join(importer.ignored_columns)} "
                "(stock changes only through the ledger; classes and policy come "
                "from the nightly run)."
            )
        if dry_run:
            self.stdout.write(
                f"Dry run, nothing written: {resource} from {path} would be {counts}."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Imported {resource} from {path}: {counts}.")
            )
