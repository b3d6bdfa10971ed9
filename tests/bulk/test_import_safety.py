"""Imports under bad input and double clicks (issue 13, findings 2, 4 and 12):
an upload is applied at most once, oversized and malformed files are refused
before anything is parsed or written, and every refusal is one clear line."""

import io
import subprocess
import sys
import threading
import time
import zipfile
from datetime import UTC, datetime
from decimal import Decimal as D
from io import StringIO

import openpyxl
import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DataError, connection
from django.test import Client
from django.urls import reverse

from bulk.models import ImportRun
from bulk.readers import read_xlsx
from bulk.services import import_run_execute
from inventory_site.db import is_postgresql
from items.models import Item, StockMovement
from items.resources import ItemResource
from tests.factories import ItemFactory

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MOVEMENTS = (
    b"sku,kind,quantity,occurred_at\n"
    b"M1,receipt,5,2026-03-01T08:00:00+00:00\n"
    b"M1,receipt,3,2026-03-01T09:00:00+00:00\n"
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def check_ledger() -> str:
    out = StringIO()
    call_command("check_ledger", stdout=out)  # raises CommandError on drift
    return out.getvalue()


def post_upload(client, data: bytes, *, name="movements.csv", model="stockmovement",
                extra=None):  # fmt: skip
    content_type = XLSX if name.endswith(".xlsx") else "text/csv"
    file = SimpleUploadedFile(name, data, content_type=content_type)
    fmt = "1" if name.endswith(".xlsx") else "0"
    return client.post(
        reverse(f"admin:items_{model}_import"),
        {"format": fmt, "resource": "0", "import_file": file, **(extra or {})},
    )


def preview(client, data: bytes = MOVEMENTS, **kwargs) -> dict:
    response = post_upload(client, data, **kwargs)
    assert response.status_code == 200
    assert "confirm_form" in response.context, response.content.decode()[:2000]
    return response.context["confirm_form"].initial


def confirm(client, initial: dict, model="stockmovement"):
    return client.post(reverse(f"admin:items_{model}_process_import"), initial)


def messages_of(client, response) -> str:
    return client.get(response.url).content.decode()


# --- finding 2: one import per confirmation ----------------------------------------


@pytest.mark.django_db
def test_confirming_the_same_preview_twice_posts_the_movements_once(
    admin_client_logged,
):
    item = ItemFactory(sku="M1")
    initial = preview(admin_client_logged)

    first = confirm(admin_client_logged, initial)
    second = confirm(admin_client_logged, initial)  # the double click

    assert first.status_code == second.status_code == 302
    assert StockMovement.objects.filter(item=item).count() == 2
    item.refresh_from_db()
    assert item.on_hand == D("8")
    page = messages_of(admin_client_logged, second)
    assert "This file was already imported" in page
    assert "nothing was imported a second time" in page
    run = ImportRun.objects.get()  # the confirmed import is recorded once
    assert (run.status, run.counts["created"], run.rows_total) == ("succeeded", 2, 2)
    assert run.upload_key == f"preview:{initial['import_file_name']}"
    assert "Ledger consistent" in check_ledger()


@pytest.mark.django_db
def test_a_failed_confirmation_writes_nothing_and_may_be_retried(
    admin_client_logged,
):
    item = ItemFactory(sku="M1")
    issue = b"sku,kind,quantity,occurred_at\nM1,issue,4,2026-03-01T08:00:00+00:00\n"
    Item.objects.filter(pk=item.pk).update(on_hand=D("5"))
    StockMovement.objects.create(
        item=item, kind="receipt", quantity=D("5"), occurred_at=NOW
    )
    initial = preview(admin_client_logged, issue)
    # Stock is issued elsewhere between the preview and the confirmation.
    StockMovement.objects.create(
        item=item, kind="issue", quantity=D("-3"), occurred_at=NOW
    )
    Item.objects.filter(pk=item.pk).update(on_hand=D("2"))

    response = confirm(admin_client_logged, initial)

    assert response.status_code == 302
    assert response.url == reverse("admin:items_stockmovement_import")
    page = messages_of(admin_client_logged, response)
    assert "Nothing was imported: line 2, column quantity:" in page
    assert StockMovement.objects.count() == 2
    assert not ImportRun.objects.exists()  # the claim was rolled back with it
    assert "Ledger consistent" in check_ledger()

    Item.objects.filter(pk=item.pk).update(on_hand=D("6"))
    StockMovement.objects.create(
        item=item, kind="receipt", quantity=D("4"), occurred_at=NOW
    )
    assert confirm(admin_client_logged, initial).status_code == 302
    item.refresh_from_db()
    assert item.on_hand == D("2")  # the retry went through, once
    assert StockMovement.objects.count() == 4


@pytest.mark.django_db
def test_a_confirmation_without_its_stored_file_writes_nothing(admin_client_logged):
    from django.core.cache import cache

    ItemFactory(sku="M1")
    initial = preview(admin_client_logged)
    cache.clear()  # the preview's file has expired

    response = confirm(admin_client_logged, initial)

    assert "The preview has expired" in messages_of(admin_client_logged, response)
    assert not StockMovement.objects.exists()
    assert not ImportRun.objects.exists()


@pytest.mark.django_db
def test_a_large_upload_sent_twice_is_queued_once(admin_client_logged, settings):
    settings.IMPORT_BACKGROUND_ROWS = 1
    ItemFactory(sku="M1")
    extra = {"upload_key": "a" * 32}  # the same rendering of the form, sent twice

    first = post_upload(admin_client_logged, MOVEMENTS, extra=extra)
    second = post_upload(admin_client_logged, MOVEMENTS, extra=extra)

    run = ImportRun.objects.get()
    assert (
        first.url == second.url == reverse("admin:bulk_importrun_change", args=[run.pk])
    )
    assert "This file was already imported" in messages_of(admin_client_logged, second)
    import_run_execute(run_id=run.pk)
    assert StockMovement.objects.count() == 2
    # A new rendering of the form carries a new key.
    form = admin_client_logged.get(reverse("admin:items_stockmovement_import"))
    assert form.context["form"]["upload_key"].value() not in ("", "a" * 32)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_confirmations_post_the_movements_once(superuser):
    """Two requests with the same preview at once (a double click): the second
    waits on the first's claim and is refused; PostgreSQL doubled them before."""
    item = ItemFactory(sku="M1")
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(superuser)
    initial = preview(clients[0])
    barrier = threading.Barrier(2)
    responses = []

    def click(client):
        barrier.wait()
        try:
            responses.append(confirm(client, initial))
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [r.status_code for r in responses] == [302, 302]
    assert StockMovement.objects.filter(item=item).count() == 2
    item.refresh_from_db()
    assert item.on_hand == D("8")
    assert ImportRun.objects.count() == 1
    assert "Ledger consistent" in check_ledger()


# --- finding 4: zip bombs and row limits --------------------------------------------


def sheet_xml(rows, *, dimension: str | None = None, extra: str = "") -> str:
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    )
    if dimension:
        head += f'<dimension ref="{dimension}"/>'
    return head + "<sheetData>" + "".join(rows) + extra + "</sheetData></worksheet>"


def workbook_with_sheet(sheet: str | bytes | None = None, *, chunks=None) -> bytes:
    """An .xlsx made by openpyxl whose sheet XML is replaced by ``sheet`` (or
    written from the ``chunks`` iterator, streamed into the zip)."""
    book = openpyxl.Workbook()
    book.active.append(["sku", "name", "unit_cost", "annual_demand"])
    original = io.BytesIO()
    book.save(original)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(original.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            if member.filename != "xl/worksheets/sheet1.xml":
                target.writestr(member, source.read(member))
            elif chunks is not None:
                with target.open(member.filename, "w", force_zip64=True) as stream:
                    for chunk in chunks:
                        stream.write(chunk)
            else:
                target.writestr(member.filename, sheet)
    return out.getvalue()


def item_rows(count: int, start: int = 2) -> list[str]:
    rows = [
        '<row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>name</t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>unit_cost</t></is></c>'
        '<c r="D1" t="inlineStr"><is><t>annual_demand</t></is></c></row>'
    ]
    for r in range(start, start + count):
        rows.append(
            f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>B{r}</t></is></c>'
            f'<c r="B{r}" t="inlineStr"><is><t>Item {r}</t></is></c>'
            f'<c r="C{r}"><v>1.5</v></c><c r="D{r}"><v>10</v></c></row>'
        )
    return rows


def bomb_chunks(rows: int):
    """A sheet of ``rows`` tiny rows, declared, as an XML stream."""
    yield sheet_xml([], dimension=f"A1:A{rows}").split("<sheetData>")[0].encode()
    yield b"<sheetData>"
    block = b"<row><c><v>1</v></c></row>" * 100_000  # rows and cells unnumbered
    for _ in range(rows // 100_000):
        yield block
    yield b"</sheetData></worksheet>"


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """2,000,000 rows in under a megabyte (issue 13: 796 KB, 2 M rows)."""
    return workbook_with_sheet(chunks=bomb_chunks(2_000_000))


def test_the_zip_bomb_is_small_and_large(zip_bomb):
    assert len(zip_bomb) < 1_000_000
    with zipfile.ZipFile(io.BytesIO(zip_bomb)) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    assert sheet.file_size > 50_000_000


@pytest.mark.django_db
def test_the_command_refuses_a_zip_bomb_at_once_and_writes_nothing(tmp_path, zip_bomb):
    ItemFactory(sku="KEEP")
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(zip_bomb)

    started = time.perf_counter()
    with pytest.raises(CommandError, match="more than 1,000,000 data rows"):
        call_command("import_data", "items", str(path), stdout=StringIO())

    assert time.perf_counter() - started < 5
    assert list(Item.objects.values_list("sku", flat=True)) == ["KEEP"]


@pytest.mark.django_db
def test_the_command_refuses_a_workbook_unpacking_to_too_much_before_opening_it(
    tmp_path, zip_bomb, settings, monkeypatch
):
    settings.IMPORT_MAX_XLSX_UNPACKED_BYTES = 20 * 1024 * 1024

    def must_not_open(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(openpyxl, "load_workbook", must_not_open)
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(zip_bomb)
    with pytest.raises(CommandError, match=r"unpacks to \d+ MB; at most 20 MB"):
        call_command("import_data", "items", str(path), stdout=StringIO())
    assert not Item.objects.exists()


@pytest.mark.django_db
def test_the_admin_refuses_a_zip_bomb_on_the_form(admin_client_logged, zip_bomb):
    response = post_upload(admin_client_logged, zip_bomb, name="bomb.xlsx",
                           model="item")  # fmt: skip

    assert response.status_code == 200
    errors = response.context["form"].errors["import_file"]
    assert errors == [
        "The file has more than 1,000,000 data rows, the most one import takes "
        "(IMPORT_MAX_ROWS); split it into smaller files."
    ]
    assert not ImportRun.objects.exists()
    assert not Item.objects.exists()


def test_a_sheet_declaring_few_rows_is_read_whole_and_limited_while_streaming(
    settings,
):
    lying = workbook_with_sheet(sheet_xml(item_rows(30), dimension="A1:D2"))
    assert len(read_xlsx(lying)) == 30  # not cut off at the declared 2 rows

    settings.IMPORT_MAX_ROWS = 20
    with pytest.raises(Exception, match="more than 20 data rows"):
        read_xlsx(lying)
    undeclared = workbook_with_sheet(sheet_xml(item_rows(30)))
    with pytest.raises(Exception, match="more than 20 data rows"):
        read_xlsx(undeclared)


def test_empty_rows_implied_by_a_row_number_count_against_the_limit(settings):
    settings.IMPORT_MAX_ROWS = 1000
    gap = '<row r="900000000"><c r="A900000000"><v>1</v></c></row>'
    book = workbook_with_sheet(sheet_xml(item_rows(1), extra=gap))
    started = time.perf_counter()
    with pytest.raises(Exception, match="more than 1,000 data rows"):
        read_xlsx(book)
    assert time.perf_counter() - started < 2


def test_a_row_too_wide_is_refused_with_its_line():
    wide = '<row r="3"><c r="XFD3"><v>1</v></c></row>'
    book = workbook_with_sheet(sheet_xml(item_rows(1), extra=wide))
    with pytest.raises(Exception, match="line 3: the row is 16,384 cells wide"):
        read_xlsx(book)


@pytest.mark.django_db
def test_a_large_xlsx_without_a_dimension_goes_to_a_worker_that_enforces_the_limit(
    admin_client_logged, settings
):
    settings.IMPORT_BACKGROUND_ROWS = 5
    settings.IMPORT_MAX_ROWS = 20
    book = workbook_with_sheet(sheet_xml(item_rows(30)))

    response = post_upload(admin_client_logged, book, name="items.xlsx", model="item")

    run = ImportRun.objects.get()
    assert response.url == reverse("admin:bulk_importrun_change", args=[run.pk])
    run = import_run_execute(run_id=run.pk)
    assert run.status == "failed"
    assert run.errors == [
        "The file has more than 20 data rows, the most one import takes "
        "(IMPORT_MAX_ROWS); split it into smaller files."
    ]
    assert not Item.objects.exists()


@pytest.mark.django_db
def test_a_csv_over_the_row_limit_is_refused_in_the_request(
    admin_client_logged, settings
):
    settings.IMPORT_BACKGROUND_ROWS = 5
    settings.IMPORT_MAX_ROWS = 20
    data = b"sku,name,unit_cost,annual_demand\n" + b"".join(
        f"C{n},Item,1,1\n".encode() for n in range(21)
    )
    response = post_upload(admin_client_logged, data, name="items.csv", model="item")
    assert response.status_code == 200
    assert "more than 20 data rows" in response.context["form"].errors["import_file"][0]
    assert not ImportRun.objects.exists()


# --- finding 12: clear one-line refusals ---------------------------------------------


def broken_workbook() -> bytes:
    return workbook_with_sheet(b"<worksheet><sheetData><row r='1'><c r='A1'>")


@pytest.mark.django_db
def test_a_malformed_xlsx_is_one_line_in_the_command(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(broken_workbook())
    with pytest.raises(CommandError, match="is not a readable .xlsx workbook"):
        call_command("import_data", "items", str(path), stdout=StringIO())


def test_a_malformed_xlsx_exits_non_zero_without_a_traceback(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(broken_workbook())
    done = subprocess.run(
        [sys.executable, "manage.py", "import_data", "items", str(path)],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "is not a readable .xlsx workbook" in lines[0]


@pytest.mark.django_db
def test_a_malformed_xlsx_is_shown_on_the_admin_form(admin_client_logged):
    response = post_upload(admin_client_logged, broken_workbook(), name="b.xlsx",
                           model="item")  # fmt: skip
    assert response.status_code == 200
    [error] = response.context["form"].errors["import_file"]
    assert error.startswith("The file is not a readable .xlsx workbook")


@pytest.mark.django_db
def test_the_admin_shows_the_not_utf8_message(admin_client_logged):
    data = "sku,name,unit_cost,annual_demand\nÄ,Bär,1,1\n".encode("latin-1")
    response = post_upload(admin_client_logged, data, name="items.csv", model="item")
    assert response.status_code == 200
    [error] = response.context["form"].errors["import_file"]
    assert error == "The file is not UTF-8 text (byte 33); save it as CSV UTF-8."


HEADER_ONLY = [
    b"sku,name,unit_cost,annual_demand\n",
    b"sku,name,unit_cost,annual_demand\n\n,,,\n",
]


@pytest.mark.django_db
@pytest.mark.parametrize("data", HEADER_ONLY)
def test_a_header_only_file_is_refused_by_the_command(tmp_path, data):
    path = tmp_path / "items.csv"
    path.write_bytes(data)
    with pytest.raises(CommandError, match="line 2: The file has a header but no"):
        call_command("import_data", "items", str(path), stdout=StringIO())


@pytest.mark.django_db
@pytest.mark.parametrize("data", HEADER_ONLY)
def test_a_header_only_file_is_refused_by_the_admin_alike(admin_client_logged, data):
    response = post_upload(admin_client_logged, data, name="items.csv", model="item")
    assert response.status_code == 200
    assert response.context["form"].errors["import_file"] == [
        "line 2: The file has a header but no data rows; nothing to import."
    ]


@pytest.mark.django_db
def test_the_preview_escapes_values_once(admin_client_logged):
    data = b"sku,name,unit_cost,annual_demand\nA&B,Nuts & <Bolts>,1,1\n"
    response = post_upload(admin_client_logged, data, name="items.csv", model="item")
    html = response.content.decode()
    assert "<td>Nuts &amp; &lt;Bolts&gt;</td>" in html
    assert "<td>A&amp;B</td>" in html
    assert "&amp;amp;" not in html and "&amp;lt;" not in html


def refuse_line(sku: str):
    """A write_rows that has the database refuse the row with ``sku``."""
    original = ItemResource.write_rows

    def write_rows(self, rows, *, user=None):
        original(self, rows, user=user)
        if any(row.values["sku"] == sku for row in rows):
            with connection.cursor() as cursor:  # a real database error
                cursor.execute("SELECT CAST('x' AS integer) WHERE 1 = %s", [1])
                if not is_postgresql():
                    raise DataError("numeric field overflow")

    return write_rows


ITEMS = b"sku,name,unit_cost,annual_demand\nA,One,1,1\nB,Two,1,1\nC,Three,1,1\n"


@pytest.mark.django_db
def test_a_database_error_on_write_is_reported_with_its_line(monkeypatch, tmp_path):
    ItemFactory(sku="KEEP")
    monkeypatch.setattr(ItemResource, "write_rows", refuse_line("B"))
    path = tmp_path / "items.csv"
    path.write_bytes(ITEMS)
    err = StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_data", "items", str(path), stdout=StringIO(), stderr=err)
    [line] = err.getvalue().splitlines()
    assert line.startswith(f"{path}: line 3: the database refused the data (")
    assert line.endswith("); nothing was imported.")
    assert list(Item.objects.values_list("sku", flat=True)) == ["KEEP"]


@pytest.mark.django_db
def test_a_database_error_is_a_line_not_a_traceback_in_the_admin(
    admin_client_logged, monkeypatch
):
    monkeypatch.setattr(ItemResource, "write_rows", refuse_line("C"))
    response = post_upload(admin_client_logged, ITEMS, name="items.csv", model="item")
    html = response.content.decode()
    assert response.status_code == 200
    assert "line 4: the database refused the data (" in html
    assert "Traceback" not in html and 'class="traceback"' not in html
    assert "confirm_form" not in response.context
    assert not Item.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_postgresql_overflow_in_a_movement_import_names_the_line(tmp_path):
    item = ItemFactory(sku="M1")
    big = "9999999999999"
    path = tmp_path / "movements.csv"
    path.write_text(
        "sku,kind,quantity,occurred_at\n"
        f"M1,receipt,{big},2026-03-01T08:00:00+00:00\n"
        f"M1,receipt,{big},2026-03-01T09:00:00+00:00\n"
    )
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_data", "movements", str(path), stdout=StringIO(), stderr=err
        )
    assert "Traceback" not in err.getvalue()
    assert err.getvalue().startswith(f"{path}: line 3")
    item.refresh_from_db()
    assert item.on_hand == 0 and not StockMovement.objects.exists()
    assert "Ledger consistent" in check_ledger()
