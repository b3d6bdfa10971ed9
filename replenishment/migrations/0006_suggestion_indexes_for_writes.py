"""Fewer index entries per new suggestion (generation writes tens of thousands
a night): no index of its own on ``item`` — ``suggestion_item_status`` (item,
status) serves it — and partial indexes for ``decided_by`` and ``delivery``,
which a new suggestion does not have.

The foreign-key indexes are dropped by name: ``AlterField(db_index=False)``
on ``item`` would drop every index on the column, the partial unique index
``suggestion_one_open_per_item`` with it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

#: Django's names for the foreign-key indexes (table, column and a hash)
_FK_INDEXES = {
    "item": "replenishment_suggestion_item_id_dbcbf129",
    "decided_by": "replenishment_suggestion_decided_by_id_9c7ef7c6",
    "delivery": "replenishment_suggestion_delivery_id_6a032ed7",
}


def _drop(field: str) -> migrations.RunSQL:
    name = _FK_INDEXES[field]
    return migrations.RunSQL(
        f"DROP INDEX IF EXISTS {name}",
        f"CREATE INDEX {name} ON replenishment_suggestion ({field}_id)",
    )


class Migration(migrations.Migration):
    # Only the last of this app: the fields' targets exist since the first
    # migrations, and a later one elsewhere would tie that app's history to this
    # (its migration tests go back before their own latest migration).
    dependencies = [
        ("replenishment", "0005_digest_subscription_and_nightly_digest"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[_drop("item"), _drop("decided_by"), _drop("delivery")],
            state_operations=[
                migrations.AlterField(
                    model_name="suggestion",
                    name="decided_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="suggestion",
                    name="delivery",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="suggestions",
                        to="suppliers.delivery",
                    ),
                ),
                migrations.AlterField(
                    model_name="suggestion",
                    name="item",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="suggestions",
                        to="items.item",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="suggestion",
            index=models.Index(
                condition=models.Q(("decided_by__isnull", False)),
                fields=["decided_by"],
                name="suggestion_decided_by",
            ),
        ),
        migrations.AddIndex(
            model_name="suggestion",
            index=models.Index(
                condition=models.Q(("delivery__isnull", False)),
                fields=["delivery"],
                name="suggestion_delivery",
            ),
        ),
    ]
