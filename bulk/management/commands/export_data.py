import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bulk.resources import resource_class, resource_names


class Command(BaseCommand):
    help = (
        "Export items, suppliers, sources, deliveries or movements to a CSV file "
        "(or .xlsx by extension) in the columns import_data reads; items add "
        "abc_class, xyz_class, policy and on_hand. Text that a spreadsheet would "
        "run as a formula is escaped with a leading apostrophe."
    )

    def add_arguments(self, parser):
        parser.add_argument("resource", choices=resource_names())
        parser.add_argument("path", help="the .csv (or .xlsx) file to write")

    def handle(self, *args, resource, path, **options):
        path = Path(path)
        extension = path.suffix.lower()
        if extension not in (".csv", ".xlsx"):
            raise CommandError(
                f"{path}: unsupported file type '{path.suffix or path.name}': "
                "use .csv or .xlsx."
            )
        dataset = resource_class(resource)().export()
        try:
            if extension == ".csv":
                with path.open("w", encoding="utf-8", newline="") as stream:
                    writer = csv.writer(stream)
                    writer.writerow(dataset.headers)
                    writer.writerows(dataset)
            else:
                path.write_bytes(dataset.export("xlsx"))
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}.") from None
        self.stdout.write(
            self.style.SUCCESS(f"Exported {len(dataset)} {resource} to {path}.")
        )
