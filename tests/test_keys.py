"""Keys with "/" and "." (issue 13, finding 6): SKUs, supplier codes and delivery
references may hold both (PO/2026/17, M6/20.5, ACME/EU.2). Whatever enters them —
an import, the API, the admin — can be reached on every page and API URL, and
``reverse`` builds working links."""

from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from items.models import Item
from suppliers.models import Delivery, DeliveryStatus, Supplier
from tests.factories import SuperuserFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/"
SKU, CODE, REF = "M6/20.5", "ACME/EU.2", "PO/2026/17.1"


def import_file(tmp_path, resource, text):
    path = tmp_path / f"{resource}.csv"
    path.write_text(text, encoding="utf-8")
    call_command("import_data", resource, str(path), stdout=StringIO())


@pytest.fixture
def imported(tmp_path):
    import_file(
        tmp_path, "items", f"sku,name,unit_cost,annual_demand\n{SKU},Bolt,2,365\n"
    )
    import_file(tmp_path, "suppliers", f"code,name\n{CODE},Acme Europe\n")
    import_file(
        tmp_path,
        "sources",
        f"supplier,sku,unit_price,quoted_lead_time_days\n{CODE},{SKU},1.5,5\n",
    )
    import_file(
        tmp_path,
        "deliveries",
        "reference,supplier,sku,quantity_ordered,ordered_at,promised_date\n"
        f"{REF},{CODE},{SKU},10,2026-01-05,2026-01-12\n",
    )
    return Delivery.objects.get(reference=REF)


@pytest.fixture
def admin_api():
    client = APIClient()
    client.force_authenticate(SuperuserFactory(username="root"))
    return client


def test_imports_accept_slashes_and_dots_in_every_key(imported):
    assert Item.objects.filter(sku=SKU).exists()
    assert Supplier.objects.filter(code=CODE).exists()
    assert imported.supplier.code == CODE and imported.lines.get().item.sku == SKU


@pytest.mark.parametrize(
    "name,args",
    [
        ("supplier_list", []),
        ("supplier_detail", [CODE]),
        ("delivery_list", []),
        ("delivery_detail", [REF]),
        ("item_list", []),
        ("item_detail", [SKU]),
        ("overview", []),
        ("suggestion_list", []),
    ],
)
def test_pages_with_such_keys_load_and_link_to_each_other(
    staff_client, imported, name, args
):
    url = reverse(name, args=args)
    response = staff_client.get(
        url, {"status": "all"} if name == "delivery_list" else {}
    )
    assert response.status_code == 200
    html = response.content.decode()
    if name == "supplier_detail":
        assert reverse("delivery_detail", args=[REF]) in html
    if name == "delivery_detail":
        assert reverse("supplier_detail", args=[CODE]) in html
        assert reverse("item_detail", args=[SKU]) in html
    if name in ("supplier_list", "delivery_list"):
        assert f"{CODE}" in html


def test_reverse_keeps_the_slashes_and_resolves_back():
    assert reverse("delivery_detail", args=[REF]) == "/deliveries/PO/2026/17.1/"
    assert reverse("supplier_detail", args=[CODE]) == "/suppliers/ACME/EU.2/"
    assert reverse("item_detail", args=[SKU]) == "/items/M6/20.5/"


def test_receiving_such_a_delivery_through_the_page(staff_client, imported):
    line = imported.lines.get()
    response = staff_client.post(
        reverse("delivery_receive", args=[REF]),
        {
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "1",
            "lines-0-line": str(line.pk),
            "lines-0-quantity_received": "10",
            "lines-0-quantity_rejected": "0",
        },
        follow=True,
    )
    assert f"Received {REF}: now received." in response.content.decode()
    assert Item.objects.get(sku=SKU).on_hand == D("10")


def test_recording_a_movement_for_such_an_item_through_the_page(staff_client, imported):
    response = staff_client.post(
        reverse("movement_create", args=[SKU]),
        {"kind": "receipt", "quantity": "4"},
    )
    assert response.status_code == 302
    assert Item.objects.get(sku=SKU).on_hand == D("4")


def test_api_reads_and_writes_such_keys(admin_api, imported):
    for path, key, value in [
        (f"items/{SKU}/", "sku", SKU),
        (f"suppliers/{CODE}/", "code", CODE),
        (f"deliveries/{REF}/", "reference", REF),
    ]:
        response = admin_api.get(API + path)
        assert response.status_code == 200, path
        assert response.json()[key] == value
    assert (
        admin_api.patch(API + f"items/{SKU}/", {"name": "Renamed"}).status_code == 200
    )
    assert Item.objects.get(sku=SKU).name == "Renamed"
    response = admin_api.patch(API + f"suppliers/{CODE}/", {"name": "Acme EU"})
    assert response.status_code == 200
    assert Supplier.objects.get(code=CODE).name == "Acme EU"
    listed = admin_api.get(API + "deliveries/", {"supplier__code": CODE}).json()
    assert [d["reference"] for d in listed["results"]] == [REF]


def test_api_receives_a_delivery_whose_reference_has_slashes(admin_api, imported):
    line = imported.lines.get()
    response = admin_api.post(
        API + f"deliveries/{REF}/receive/",
        {"lines": [{"line": line.pk, "quantity_received": "10"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == DeliveryStatus.RECEIVED
    assert Item.objects.get(sku=SKU).on_hand == D("10")


def test_api_creates_and_deletes_such_keys(admin_api):
    assert (
        admin_api.post(
            API + "items/", {"sku": "A/B.C", "name": "x", "unit_cost": "1"}
        ).status_code
        == 201
    )
    assert (
        admin_api.post(API + "suppliers/", {"code": "S/1.0", "name": "y"}).status_code
        == 201
    )
    assert admin_api.get(API + "items/A/B.C/").json()["sku"] == "A/B.C"
    assert admin_api.get(API + "suppliers/S/1.0/").json()["code"] == "S/1.0"
    assert admin_api.delete(API + "items/A/B.C/").status_code == 204
    assert admin_api.delete(API + "suppliers/S/1.0/").status_code == 204
    assert not Item.objects.filter(sku="A/B.C").exists()
    assert not Supplier.objects.filter(code="S/1.0").exists()


def test_a_key_with_a_format_like_suffix_is_still_the_key(admin_api):
    Item.objects.create(sku="CABLE.json", name="Cable")
    response = admin_api.get(API + "items/CABLE.json/")
    assert response.status_code == 200
    assert response.json()["sku"] == "CABLE.json"


def test_unknown_keys_with_slashes_are_404_not_500(admin_api, staff_client):
    assert admin_api.get(API + "deliveries/NO/SUCH/").status_code == 404
    assert admin_api.post(API + "deliveries/NO/SUCH/receive/", {}).status_code == 404
    assert staff_client.get("/suppliers/NO/SUCH/").status_code == 404
    assert staff_client.get("/deliveries/NO/SUCH/").status_code == 404
