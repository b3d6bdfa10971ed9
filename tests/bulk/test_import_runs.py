"""Admin imports: the import permission, upload limits, and large files handed to
a background worker with a progress page (bulk.services, bulk.tasks)."""

import time
import uuid
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from kombu import Connection

from bulk.models import ImportRun
from bulk.services import import_run_execute, import_run_start
from bulk.tasks import import_run_task
from inventory_site.locks import job_lock
from items.models import Item, StockMovement
from items.resources import ItemResource
from jobs.models import Job
from suppliers.models import Supplier
from tests.factories import ItemFactory, UserFactory

HEADER = "sku,name,unit_cost,annual_demand\n"
IMPORT_URLS = [
    "admin:items_item_import",
    "admin:items_stockmovement_import",
    "admin:suppliers_supplier_import",
    "admin:suppliers_supplieritem_import",
    "admin:suppliers_delivery_import",
]


def items_csv(count: int, *, bad: dict[int, str] | None = None) -> bytes:
    """``count`` item rows; ``bad`` maps a file line (header = 1) to a row."""
    lines = [HEADER]
    for line in range(2, count + 2):
        row = (bad or {}).get(line, f"S{line:05d},Item {line},2.50,100")
        lines.append(row + "\n")
    return "".join(lines).encode()


def upload(client, data: bytes, *, name="items.csv", url="admin:items_item_import"):
    file = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(
        reverse(url), {"format": "0", "resource": "0", "import_file": file}
    )


@pytest.fixture
def background_over_3_rows(settings):
    settings.IMPORT_BACKGROUND_ROWS = 3


# --- the background path --------------------------------------------------------------


@pytest.mark.django_db
def test_a_large_file_goes_to_a_worker_and_the_page_follows_it(
    admin_client_logged, superuser, background_over_3_rows
):
    response = upload(admin_client_logged, items_csv(5))

    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:bulk_importrun_change", args=[run.pk])
    assert (run.status, run.rows_total, run.file_format) == ("queued", 5, "csv")
    assert run.resource == "items.resources.ItemResource"
    assert run.requested_by == superuser
    job = Job.objects.get()
    assert (job.task_name, job.args) == ("bulk.tasks.import_run_task", [run.pk])
    assert not Item.objects.exists()  # nothing happens in the request

    waiting = admin_client_logged.get(response.url).content.decode()
    assert 'http-equiv="refresh"' in waiting
    assert "Waiting for a background worker" in waiting

    run = import_run_execute(run_id=run.pk)

    assert run.status == "succeeded"
    assert run.counts == {"created": 5, "updated": 0, "unchanged": 0}
    assert Item.objects.count() == 5
    assert Item.objects.get(sku="S00002").unit_cost == D("2.50")
    assert bytes(run.content) == b""  # the file is not kept once imported
    done = admin_client_logged.get(response.url).content.decode()
    assert 'http-equiv="refresh"' not in done
    assert "5 created, 0 updated, 0 unchanged" in done


@pytest.mark.django_db
def test_a_file_at_the_threshold_gets_the_usual_preview(
    admin_client_logged, background_over_3_rows
):
    response = upload(admin_client_logged, items_csv(3))

    assert response.status_code == 200
    assert "confirm_form" in response.context
    assert not ImportRun.objects.exists()
    assert not Item.objects.exists()  # the preview is a dry run


@pytest.mark.django_db
def test_a_background_import_with_errors_writes_nothing_and_lists_them(
    admin_client_logged, background_over_3_rows
):
    data = items_csv(5, bad={4: "S4,Minus,-1,100", 6: ",No sku,1,1"})
    response = upload(admin_client_logged, data)
    run = import_run_execute(run_id=ImportRun.objects.get().pk)

    assert run.status == "failed"
    assert run.error_count == 2
    assert run.errors[0] == "line 4, column unit_cost: must not be negative (got -1)."
    assert run.errors[1].startswith("line 6, column sku:")
    assert run.counts == {}
    assert not Item.objects.exists()
    page = admin_client_logged.get(response.url).content.decode()
    assert "Nothing was imported: 2 errors in the file" in page
    assert "line 4, column unit_cost: must not be negative (got -1)." in page


@pytest.mark.django_db
def test_only_the_first_errors_are_kept_but_all_are_counted(
    admin_client_logged, settings, background_over_3_rows
):
    settings.IMPORT_ERRORS_KEPT = 2
    bad = {line: f"X{line},Bad,abc,1" for line in range(2, 7)}
    response = upload(admin_client_logged, items_csv(5, bad=bad))
    run = import_run_execute(run_id=ImportRun.objects.get().pk)

    assert (run.error_count, len(run.errors)) == (5, 2)
    page = admin_client_logged.get(response.url).content.decode()
    assert "… and 3 more (the first 2 are shown)" in page


@pytest.mark.django_db
def test_an_unreadable_stored_file_fails_with_a_message():
    run = import_run_start(
        resource_class=ItemResource,
        model_label="items",
        file_name="broken.xlsx",
        file_format="xlsx",
        content=b"this is not a spreadsheet",
        rows_total=10,
    )
    run = import_run_execute(run_id=run.pk)

    assert run.status == "failed"
    assert len(run.errors) == 1 and ".xlsx" in run.errors[0]


@pytest.mark.django_db
def test_a_finished_run_is_never_imported_again_and_an_interrupted_one_is(
    admin_client_logged, background_over_3_rows
):
    upload(admin_client_logged, items_csv(4))
    run = ImportRun.objects.get()
    # A worker died mid-import: the database rolled its transaction back.
    ImportRun.objects.filter(pk=run.pk).update(status="running", attempts=1)

    run = import_run_execute(run_id=run.pk)
    assert (run.status, run.attempts) == ("succeeded", 2)
    Item.objects.filter(sku="S00002").update(name="Changed since")

    again = import_run_execute(run_id=run.pk)
    assert (again.status, again.attempts) == ("succeeded", 2)
    assert Item.objects.get(sku="S00002").name == "Changed since"


@pytest.mark.django_db
def test_the_task_skips_a_run_another_worker_is_importing(
    admin_client_logged, background_over_3_rows
):
    upload(admin_client_logged, items_csv(4))
    run = ImportRun.objects.get()
    with job_lock(f"import-run-{run.pk}") as acquired:
        assert acquired
        assert import_run_task(run.pk) == "skipped"
    run.refresh_from_db()
    assert run.status == "queued" and not Item.objects.exists()
    assert import_run_task(run.pk) == "succeeded"


@pytest.mark.django_db
def test_other_admins_resources_run_in_the_background_too(
    admin_client_logged, background_over_3_rows
):
    item = ItemFactory(sku="M1", on_hand=D("0"))
    rows = "".join(
        f"M1,receipt,{quantity},2026-01-0{day}T08:00:00+00:00\n"
        for day, quantity in enumerate(["5", "3", "2", "1"], start=1)
    )
    data = ("sku,kind,quantity,occurred_at\n" + rows).encode()
    upload(admin_client_logged, data, url="admin:items_stockmovement_import")
    run = import_run_execute(run_id=ImportRun.objects.get().pk)

    assert run.status == "succeeded", run.errors
    assert run.resource == "items.resources.MovementResource"
    assert StockMovement.objects.filter(item=item).count() == 4
    item.refresh_from_db()
    assert item.on_hand == D("11")

    suppliers = "code,name\n" + "".join(f"SUP{n},Supplier {n}\n" for n in range(4))
    upload(
        admin_client_logged, suppliers.encode(), url="admin:suppliers_supplier_import"
    )
    run = import_run_execute(run_id=ImportRun.objects.latest("id").pk)
    assert run.resource == "suppliers.resources.SupplierResource"
    assert Supplier.objects.count() == 4


# --- permissions and limits -----------------------------------------------------------


def staff_with(*codenames: str):
    user = UserFactory(username=f"clerk-{uuid.uuid4().hex[:6]}", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.mark.django_db
@pytest.mark.parametrize("url", IMPORT_URLS)
def test_plain_staff_may_not_import(client, url):
    model = url.split("_", 1)[1].removesuffix("_import")
    client.force_login(staff_with(f"view_{model}", f"add_{model}", f"change_{model}"))

    assert client.get(reverse(url)).status_code == 403
    assert upload(client, items_csv(2), url=url).status_code == 403
    assert not Item.objects.exists()
    changelist = client.get(reverse(url.replace("_import", "_changelist")))
    assert changelist.status_code == 200
    assert reverse(url) not in changelist.content.decode()  # no import button


@pytest.mark.django_db
def test_the_import_permission_lets_staff_import(client):
    client.force_login(staff_with("view_item", "import_item"))
    assert (
        reverse("admin:items_item_import")
        in client.get(reverse("admin:items_item_changelist")).content.decode()
    )

    preview = upload(client, items_csv(2))
    assert preview.status_code == 200
    confirm = client.post(
        reverse("admin:items_item_process_import"),
        preview.context["confirm_form"].initial,
    )
    assert confirm.status_code == 302
    assert Item.objects.count() == 2


@pytest.mark.django_db
def test_staff_see_only_their_own_background_imports(client, background_over_3_rows):
    owner = staff_with("view_item", "import_item")
    other = staff_with("view_item", "import_item")
    client.force_login(owner)
    page = upload(client, items_csv(4)).url
    assert client.get(page).status_code == 200

    client.force_login(other)
    assert client.get(page).status_code == 404
    listing = client.get(reverse("admin:bulk_importrun_changelist"))
    assert listing.status_code == 200
    assert "items.csv" not in listing.content.decode()


@pytest.mark.django_db
def test_an_upload_over_the_size_limit_is_refused_before_reading(
    admin_client_logged, settings
):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    response = upload(admin_client_logged, items_csv(10))

    assert response.status_code == 200
    assert "uploads are limited to" in response.content.decode()
    assert "manage.py import_data" in response.content.decode()
    assert not Item.objects.exists() and not ImportRun.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["items.txt", "items.json", "items"])
def test_only_csv_and_xlsx_files_are_accepted(admin_client_logged, name):
    response = upload(admin_client_logged, items_csv(2), name=name)

    assert response.status_code == 200
    assert "upload a .csv or .xlsx file" in response.content.decode()
    assert not Item.objects.exists()


# --- a real worker ------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_imports_a_large_file(redis_url, tmp_path):
    from tests.replenishment.test_celery_worker import start_worker, stop_worker

    run = import_run_start(
        resource_class=ItemResource,
        model_label="items",
        file_name="big.csv",
        file_format="csv",
        content=items_csv(6000),
        rows_total=6000,
    )
    queue = f"test-import-{uuid.uuid4().hex[:12]}"
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = start_worker(
            redis_url=redis_url, queue=queue, prefix=f"test-{queue}", log=log
        )
        try:
            with Connection(redis_url) as broker:
                import_run_task.apply_async(
                    args=[run.pk], queue=queue, connection=broker
                )
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                run.refresh_from_db()
                if run.finished:
                    break
                assert worker.poll() is None, "the worker died"
                time.sleep(0.5)
        finally:
            stop_worker(worker)
    output = log_path.read_text(errors="replace")
    assert run.status == "succeeded", f"{run.errors}\n{output[-4000:]}"
    assert run.counts["created"] == 6000
    assert Item.objects.count() == 6000
