"""ImportRun moves to the bulk app. State only: the table items_importrun stays
as it is (bulk's model names it with db_table) and no row moves."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("items", "0011_unmet_demand"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ImportRun")],
            database_operations=[],
        ),
    ]
