"""ImportRun moved from items to bulk without moving data: migrating a database
that has import runs keeps every row, in the same table, and brings the model's
content type and the outbox jobs of its task along."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def before_bulk() -> list[tuple[str, str | None]]:
    """No bulk migration, and items just before the one that hands ImportRun
    over (found by name, so renumbering at merge does not break the test)."""
    graph = MigrationExecutor(connection).loader.graph
    (handover,) = [
        node
        for node in graph.nodes
        if node[0] == "items" and node[1].endswith("importrun_moves_to_bulk")
    ]
    (parent,) = [
        node for node in graph.node_map[handover].parents if node[0] == "items"
    ]
    return [("bulk", None), (parent.key[0], parent.key[1])]


def migrate(targets):
    """Migrate to ``targets``; the models as they are then."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    graph = executor.loader.graph
    nodes = [
        node for app, name in targets for node in ([(app, name)] if name else [])
    ] + [node for node in graph.leaf_nodes() if node[0] not in dict(targets)]
    return executor.loader.project_state(nodes, at_end=True).apps


@pytest.mark.django_db(transaction=True)
def test_migrating_a_database_with_import_runs_keeps_them():
    old = migrate(before_bulk())
    ImportRun = old.get_model("items", "ImportRun")
    ContentType = old.get_model("contenttypes", "ContentType")
    Job = old.get_model("jobs", "Job")
    User = old.get_model("auth", "User")
    ContentType.objects.filter(model="importrun").delete()
    content_type = ContentType.objects.create(app_label="items", model="importrun")
    user = User.objects.create(username="clerk")
    done = ImportRun.objects.create(
        resource="items.resources.ItemResource",
        upload_key="preview:abc",
        model_label="items",
        file_name="items.csv",
        file_format="csv",
        rows_total=3,
        status="succeeded",
        counts={"created": 3, "updated": 0, "unchanged": 0},
        requested_by=user,
    )
    waiting = ImportRun.objects.create(
        resource="suppliers.resources.DeliveryResource",
        model_label="deliveries",
        file_name="big.csv",
        file_format="csv",
        content=b"reference,supplier\n",
        rows_total=9000,
    )
    job = Job.objects.create(task_name="items.tasks.import_run_task", args=[waiting.pk])

    new = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    runs = new.get_model("bulk", "ImportRun")
    assert runs._meta.db_table == "items_importrun"
    assert list(runs.objects.order_by("pk").values_list("pk", flat=True)) == [
        done.pk,
        waiting.pk,
    ]
    kept = runs.objects.get(pk=done.pk)
    assert (kept.upload_key, kept.status, kept.counts, kept.requested_by_id) == (
        "preview:abc",
        "succeeded",
        {"created": 3, "updated": 0, "unchanged": 0},
        user.pk,
    )
    assert bytes(runs.objects.get(pk=waiting.pk).content) == b"reference,supplier\n"
    moved = new.get_model("contenttypes", "ContentType").objects.get(pk=content_type.pk)
    assert (moved.app_label, moved.model) == ("bulk", "importrun")
    assert new.get_model("jobs", "Job").objects.get(pk=job.pk).task_name == (
        "bulk.tasks.import_run_task"
    )
    # The upload key is still unique in the database: the once-only guard stands.
    with pytest.raises(Exception, match="(?i)unique"):
        runs.objects.create(
            resource="x", upload_key="preview:abc", model_label="x", file_name="x",
            file_format="csv",
        )  # fmt: skip
