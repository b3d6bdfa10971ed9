"""Create the database cache table (the embedded default cache, which holds the
locks of the nightly jobs), so ``migrate`` alone prepares a new database. Does
nothing when the cache is Redis or in memory."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
