"""Portal links: made, shown once, stored only as a hash, expiring, revocable,
404 when unusable, throttled after repeated bad tokens, every access logged."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from portal.models import PortalAccess, PortalToken
from portal.selectors import portal_token_find
from portal.services import portal_link_create, portal_links_revoke
from tests.factories import SupplierFactory, UserFactory

pytestmark = pytest.mark.django_db


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def test_a_link_holds_at_least_32_random_bytes_and_is_stored_only_as_a_hash():
    supplier = SupplierFactory()
    url, _ = portal_link_create(supplier=supplier)
    token = token_of(url)
    assert len(token) >= 43  # base64 of 32 bytes
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {PortalToken._meta.db_table}")
        rows = cursor.fetchall()
    assert rows and all(token not in str(value) for row in rows for value in row)
    assert portal_token_find(token).supplier == supplier


def test_links_expire_and_revoke():
    supplier = SupplierFactory()
    url, expires_at = portal_link_create(supplier=supplier, days=3)
    assert expires_at - timezone.now() > timedelta(days=2, hours=23)
    token = token_of(url)
    with time_machine.travel(timezone.now() + timedelta(days=3, seconds=1)):
        assert portal_token_find(token) is None
    assert portal_token_find(token) is not None
    url, _ = portal_link_create(supplier=supplier)
    assert portal_links_revoke(supplier=supplier) == 2  # every usable link
    assert portal_token_find(token) is None
    assert portal_token_find(token_of(url)) is None


def test_supplier_link_command_prints_an_absolute_url(settings):
    settings.SITE_URL = "https://jit.example.com"
    SupplierFactory(code="ACME")
    out = StringIO()
    call_command("supplier_link", "ACME", "--days", "10", stdout=out, stderr=StringIO())
    url = out.getvalue().strip()
    assert url.startswith("https://jit.example.com/portal/") and url.endswith("/")
    link = portal_token_find(token_of(url))
    assert link.expires_at - link.created_at == timedelta(days=10)
    with pytest.raises(CommandError, match="No supplier"):
        call_command("supplier_link", "NOPE", stdout=StringIO())


def test_api_makes_and_revokes_links(client):
    supplier = SupplierFactory(code="ACME")
    client.force_login(UserFactory(is_staff=True))
    response = client.post("/api/v1/suppliers/ACME/portal-link/", {"days": 5})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"url", "expires_at"}
    token = token_of(body["url"])
    assert client.get(f"/portal/{token}/").status_code == 200
    assert client.delete("/api/v1/suppliers/ACME/portal-link/").status_code == 204
    assert client.get(f"/portal/{token}/").status_code == 404
    assert not PortalToken.objects.usable().filter(supplier=supplier).exists()
    assert client.post("/api/v1/suppliers/NOPE/portal-link/").status_code == 404


def test_api_links_are_for_staff_only(client):
    SupplierFactory(code="ACME")
    assert client.post("/api/v1/suppliers/ACME/portal-link/").status_code == 401
    client.force_login(UserFactory(is_staff=False))
    assert client.post("/api/v1/suppliers/ACME/portal-link/").status_code == 403
    assert client.delete("/api/v1/suppliers/ACME/portal-link/").status_code == 403
    assert not PortalToken.objects.exists()


def test_supplier_page_button_shows_the_link_once(staff_client):
    SupplierFactory(code="ACME")
    page = staff_client.get("/suppliers/ACME/")
    assert b"Create portal link" in page.content
    response = staff_client.post("/suppliers/ACME/portal-link/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"
    link = PortalToken.objects.get()
    text = response.content.decode()
    start = text.index("http://127.0.0.1:8000/portal/")
    url = text[start : text.index('"', start)]
    assert portal_token_find(token_of(url)) == link
    revoke = staff_client.post("/suppliers/ACME/portal-link/revoke/")
    assert revoke.status_code == 302
    assert portal_token_find(token_of(url)) is None


def test_only_staff_make_links_on_the_page(client):
    SupplierFactory(code="ACME")
    client.force_login(UserFactory(is_staff=False))
    assert client.post("/suppliers/ACME/portal-link/").status_code == 403
    client.logout()
    assert client.post("/suppliers/ACME/portal-link/").status_code == 302  # login
    assert not PortalToken.objects.exists()


def test_portal_needs_no_login_and_logs_every_access(client):
    supplier = SupplierFactory()
    url, _ = portal_link_create(supplier=supplier)
    token = token_of(url)
    assert client.get(f"/portal/{token}/").status_code == 200
    assert client.get(f"/portal/{token}/forecast.json").status_code == 200
    accesses = list(PortalAccess.objects.order_by("at", "id"))
    assert [a.page for a in accesses] == ["/", "/forecast.json"]
    assert all(a.supplier == supplier and a.ip == "127.0.0.1" for a in accesses)
    assert all(token not in a.page for a in accesses)
    assert PortalToken.objects.get().last_used_at is not None


def test_unusable_tokens_answer_404(client):
    supplier = SupplierFactory()
    with time_machine.travel(timezone.now() - timedelta(days=91)):
        expired, _ = portal_link_create(supplier=supplier, days=90)
    revoked, _ = portal_link_create(supplier=supplier)
    portal_links_revoke(supplier=supplier)
    for token in ("x" * 43, token_of(expired), token_of(revoked)):
        assert client.get(f"/portal/{token}/").status_code == 404
    assert not PortalAccess.objects.exists()


def test_repeated_bad_tokens_are_throttled_per_address(client, settings):
    settings.PORTAL_BAD_TOKEN_LIMIT = 3
    url, _ = portal_link_create(supplier=SupplierFactory())
    good = token_of(url)
    for n in range(3):
        assert client.get(f"/portal/bad{n}/").status_code == 404
    response = client.get("/portal/bad9/")
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert client.get(f"/portal/{good}/").status_code == 429  # no guessing around it
    other = client.get(f"/portal/{good}/", REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 200


def test_the_token_never_reaches_the_log(client, caplog):
    import logging

    url, _ = portal_link_create(supplier=SupplierFactory())
    token = token_of(url)
    (console,) = [
        h for h in logging.getLogger().handlers
        if any(type(f).__name__ == "PortalTokenFilter" for f in h.filters)
    ]  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(f"/portal/{token}/orders/NOPE/").status_code == 404
        assert client.get("/portal/guessed-token/").status_code == 404
    assert len(caplog.records) == 2
    for record in caplog.records:
        assert console.filter(record)
        line = console.format(record)
        assert "Not Found: /portal/…/" in line
        assert token not in line and "guessed-token" not in line
