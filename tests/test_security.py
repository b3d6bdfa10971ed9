"""Login protection and security headers."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password"


def login(client, password):
    return client.post(
        reverse("login"),
        {"username": "staff", "password": password},
        REMOTE_ADDR="10.0.0.9",
    )


def test_five_failures_lock_the_account_even_with_the_right_password(client):
    UserFactory(username="staff")
    for _ in range(5):
        response = login(client, "wrong-password")
    assert response.status_code == 429
    assert b"locked for 30 minutes" in response.content
    response = login(client, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_success_before_the_limit_resets_the_count(client):
    UserFactory(username="staff")
    for _ in range(4):
        login(client, "wrong-password")
    assert login(client, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        assert login(client, "wrong-password").status_code == 200


def test_security_headers_on_every_page(client):
    response = client.get(reverse("login"), secure=True)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "max-age=31536000" in response["Strict-Transport-Security"]


def test_pages_have_no_inline_scripts_or_styles(staff_client):
    for url in ["/", "/items/", "/suggestions/", "/deliveries/", "/suppliers/"]:
        content = staff_client.get(url).content.decode()
        assert "<script>" not in content and "<style" not in content, url
        assert ' style="' not in content, url


def test_passwords_need_twelve_characters_and_not_a_common_one():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("Sh0rt-pass!")
    with pytest.raises(ValidationError, match="too common"):
        validate_password("qwertyuiop123")
    validate_password("correct-horse-battery-staple")


def test_sessions_expire_after_thirty_idle_minutes(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
