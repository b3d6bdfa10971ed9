"""Production configuration comes from the environment alone."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    ours = ("DJANGO_", "SECURE_", "CACHE_URL", "DATABASE_URL", "CELERY_")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_environment():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="inventory_site.settings.base",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="inventory.example.com",
        DATABASE_URL="postgres://jit:secret@db.example.com:5432/jit",
        CELERY_BROKER_URL="redis://redis.example.com:6379/0",
        CACHE_URL="redis://redis.example.com:6379/1",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_missing_secret_key_without_debug_is_refused():
    result = run_manage(
        "check",
        DJANGO_SETTINGS_MODULE="inventory_site.settings.base",
        DJANGO_DEBUG="0",
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_schema_commands_run_on_a_fresh_checkout_without_a_secret_key():
    """`makemigrations --check` needs no secret (and proves models and
    migrations agree)."""
    result = run_manage(
        "makemigrations",
        "--check",
        "--dry-run",
        DJANGO_SETTINGS_MODULE="inventory_site.settings.base",
        DJANGO_DEBUG="0",
        DATABASE_URL="sqlite:///:memory:",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout
