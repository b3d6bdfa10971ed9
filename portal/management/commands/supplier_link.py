from django.core.management.base import BaseCommand, CommandError

from portal.services import portal_link_create
from suppliers.models import Supplier


class Command(BaseCommand):
    help = "Make a supplier portal link and print its URL (shown only now)."

    def add_arguments(self, parser):
        parser.add_argument("code", help="supplier code")
        parser.add_argument(
            "--days", type=int, default=None, help="valid for this many days (90)"
        )

    def handle(self, *args, code, days, **options):
        supplier = Supplier.objects.filter(code=code).first()
        if supplier is None:
            raise CommandError(f"No supplier with code {code!r}.")
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        url, expires_at = portal_link_create(supplier=supplier, days=days)
        self.stdout.write(url)
        self.stderr.write(f"Valid until {expires_at:%Y-%m-%d %H:%M %Z}.")
