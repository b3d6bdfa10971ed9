"""Items are rewritten in bulk by the nightly classification (and planning): let
PostgreSQL update them in place.

- Drop ``item_class_policy_idx`` (abc_class, policy): every class or policy change
  had to add an entry to it, which rules out heap-only (HOT) updates, so a full
  reclassification inserted a new entry into every index of the table.
- ``fillfactor = 50`` on PostgreSQL: pages keep half their space free, so the new
  version of a row fits on its own page (HOT needs that too). A table loaded full
  (COPY, import) otherwise moves every updated row to a new page. Applies to pages
  written from now on; ``VACUUM FULL items_item`` repacks an existing table.
"""

from django.db import migrations

FILLFACTOR = 50


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE items_item SET (fillfactor = {FILLFACTOR})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE items_item RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("items", "0004_importrun"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="item",
            name="item_class_policy_idx",
        ),
        migrations.RunPython(set_fillfactor, reset_fillfactor, elidable=False),
    ]
