from django.core.management.base import BaseCommand, CommandError

from items.models import Item
from items.selectors import ledger_drift


class Command(BaseCommand):
    help = (
        "Verify for every item that on_hand equals the sum of its stock movements; "
        "list any drift and exit non-zero if there is some."
    )

    def handle(self, *args, **options):
        drift = ledger_drift()
        if not drift:
            self.stdout.write(
                f"Ledger consistent: on_hand equals the sum of movements for all "
                f"{Item.objects.count():,} items."
            )
            return
        for sku, on_hand, ledger in drift:
            self.stderr.write(
                f"{sku}: on_hand {on_hand} but movements sum to {ledger} "
                f"(difference {on_hand - ledger})"
            )
        raise CommandError(f"Ledger drift on {len(drift)} item(s).")
