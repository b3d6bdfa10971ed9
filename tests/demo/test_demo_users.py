import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD_LINE = re.compile(r"Demo password for admin and staff: (\S+)")


def can_log_in(username: str, password: str) -> bool:
    """The password works for the user (what the login form checks)."""
    return get_user_model().objects.get(username=username).check_password(password)


def demo_users(*args: str) -> str:
    out = StringIO()
    call_command("demo_users", *args, stdout=out)
    return out.getvalue()


def test_demo_users_creates_admin_and_staff_with_the_right_flags(settings):
    settings.DEMO_PASSWORD = ""

    demo_users()

    admin = User.objects.get(username="admin")
    staff = User.objects.get(username="staff")
    assert (admin.is_active, admin.is_staff, admin.is_superuser) == (True, True, True)
    assert (staff.is_active, staff.is_staff, staff.is_superuser) == (True, True, False)
    assert not staff.user_permissions.exists()
    assert not staff.groups.exists()


def test_demo_users_prints_a_generated_password_that_works(settings):
    settings.DEMO_PASSWORD = ""

    output = demo_users()

    match = PASSWORD_LINE.search(output)
    assert match, output
    password = match.group(1)
    assert len(password) >= 12
    assert can_log_in("admin", password)
    assert can_log_in("staff", password)


def test_demo_users_twice_keeps_the_users_and_their_password(settings):
    settings.DEMO_PASSWORD = ""
    password = PASSWORD_LINE.search(demo_users()).group(1)

    output = demo_users()

    assert "Demo password" not in output
    assert "already exist" in output
    assert User.objects.filter(username__in=["admin", "staff"]).count() == 2
    assert User.objects.count() == 2
    assert can_log_in("admin", password)
    assert can_log_in("staff", password)


def test_demo_users_takes_the_password_option_also_for_existing_users(settings):
    settings.DEMO_PASSWORD = ""
    demo_users()

    output = demo_users("--password", "correct-horse-battery")

    assert "correct-horse-battery" not in output
    assert can_log_in("admin", "correct-horse-battery")
    assert can_log_in("staff", "correct-horse-battery")


def test_demo_users_uses_demo_password_from_settings_without_printing_it(settings):
    settings.DEMO_PASSWORD = "from-the-environment-42"

    output = demo_users()

    assert "from-the-environment-42" not in output
    assert "DEMO_PASSWORD" in output
    assert can_log_in("staff", "from-the-environment-42")


def test_demo_users_refuses_a_password_the_validators_reject(settings):
    settings.DEMO_PASSWORD = ""

    with pytest.raises(CommandError, match="too short"):
        demo_users("--password", "short1!")

    assert not User.objects.filter(username__in=["admin", "staff"]).exists()


def test_demo_users_takes_superuser_rights_away_from_staff(settings):
    settings.DEMO_PASSWORD = ""
    User.objects.create_superuser("staff", "staff@example.com", "a-long-old-password")

    demo_users()

    staff = User.objects.get(username="staff")
    assert staff.is_staff and not staff.is_superuser
    assert staff.check_password("a-long-old-password")
