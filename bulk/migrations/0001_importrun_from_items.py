"""ImportRun, taken over from the items app with its table (items_importrun):
the model is created in the state only, the database is not touched, and every
existing run stays.

Two records that name the model are brought along: its content type (so
permissions granted on import runs keep pointing at it) and outbox jobs still
waiting under the task's old name (items.tasks.import_run_task).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

OLD_TASK = "items.tasks.import_run_task"
NEW_TASK = "bulk.tasks.import_run_task"


def rename_records(apps, schema_editor, *, to_bulk=True):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Job = apps.get_model("jobs", "Job")
    old_app, new_app = ("items", "bulk") if to_bulk else ("bulk", "items")
    old_task, new_task = (OLD_TASK, NEW_TASK) if to_bulk else (NEW_TASK, OLD_TASK)
    if not ContentType.objects.filter(app_label=new_app, model="importrun").exists():
        ContentType.objects.filter(app_label=old_app, model="importrun").update(
            app_label=new_app
        )
    Job.objects.filter(task_name=old_task, status="pending").update(
        task_name=new_task
    )


def rename_records_back(apps, schema_editor):
    rename_records(apps, schema_editor, to_bulk=False)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("items", "0012_importrun_moves_to_bulk"),
        ("jobs", "0002_cache_table"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="ImportRun",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "resource",
                            models.CharField(
                                help_text="Dotted path of the import resource class.",
                                max_length=200,
                            ),
                        ),
                        (
                            "upload_key",
                            models.CharField(
                                blank=True,
                                editable=False,
                                help_text="One key per confirmed upload (a preview's "
                                "or an upload form's): a second confirmation of the "
                                "same upload is refused, so a file is imported at "
                                "most once.",
                                max_length=64,
                                null=True,
                                unique=True,
                            ),
                        ),
                        ("model_label", models.CharField(max_length=100)),
                        ("file_name", models.CharField(max_length=255)),
                        ("file_format", models.CharField(max_length=8)),
                        ("content", models.BinaryField(default=b"", editable=False)),
                        ("rows_total", models.PositiveIntegerField(default=0)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("queued", "Waiting for a worker"),
                                    ("running", "Checking and writing"),
                                    ("succeeded", "Imported"),
                                    ("failed", "Not imported (errors)"),
                                ],
                                default="queued",
                                max_length=16,
                            ),
                        ),
                        (
                            "counts",
                            models.JSONField(
                                blank=True,
                                default=dict,
                                help_text="Rows created, updated and unchanged.",
                            ),
                        ),
                        ("errors", models.JSONField(blank=True, default=list)),
                        ("error_count", models.PositiveIntegerField(default=0)),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        (
                            "created_at",
                            models.DateTimeField(default=django.utils.timezone.now),
                        ),
                        ("started_at", models.DateTimeField(blank=True, null=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "requested_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "items_importrun",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
            ],
        ),
        migrations.RunPython(rename_records, rename_records_back, elidable=False),
    ]
