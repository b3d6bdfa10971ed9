"""A partial index of the issues only, by (item, occurred_at), covering the quantity
on PostgreSQL: suggestion generation reads each item's daily demand over the window
and its first consumption from this index alone (index-only scans), instead of
filtering the item's whole ledger."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("items", "0005_item_hot_updates"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="stockmovement",
            index=models.Index(
                condition=models.Q(("kind", "issue")),
                fields=["item", "occurred_at"],
                include=("quantity",),
                name="move_issue_item_at",
            ),
        ),
    ]
