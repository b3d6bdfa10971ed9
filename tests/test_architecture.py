"""Rules about where code lives, checked on the source tree itself.

Which database the site talks to is decided in one module,
``inventory_site/db.py`` (``dialect()`` / ``is_postgresql()``); migrations may ask
their schema editor's connection, since they run before any app code can be
imported safely. Tests ask ``inventory_site.db.is_postgresql()`` like everyone
else. This file is left out of the scan (its examples spell what it looks for).
``bench/`` is scanned too (it has no exception today); ``.venv`` and other
hidden or virtual-environment folders are not the project's code.
"""

import re
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
DIALECT_MODULE = ROOT / "inventory_site" / "db.py"
THIS_FILE = Path(__file__).resolve()  # its examples spell what it looks for
VENDOR = re.compile(r"\.vendor\b")
PROJECT_APPS = ("items", "suppliers", "replenishment", "jobs", "portal", "demo")


def project_sources() -> list[Path]:
    """Every .py file of the project outside hidden folders, virtual
    environments and migrations."""
    files = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if any(p.startswith(".") or p in {"venv", "node_modules"} for p in parts):
            continue
        if "migrations" in parts:
            continue
        files.append(path)
    return files


def vendor_checks(text: str) -> list[int]:
    """Line numbers that read a connection's vendor."""
    return [n for n, line in enumerate(text.splitlines(), 1) if VENDOR.search(line)]


def test_vendor_check_finds_the_usual_spellings():
    text = "\n".join(
        [
            "ok = 1",
            'if connection.vendor == "postgresql":',
            'postgresql = schema_editor.connection.vendor != "sqlite"',
            "kind = conn.vendor",
            "vendors = []  # a word that only contains it",
        ]
    )
    assert vendor_checks(text) == [2, 3, 4]


def test_sources_are_found():
    sources = {p.relative_to(ROOT).as_posix() for p in project_sources()}
    assert "inventory_site/db.py" in sources
    assert "replenishment/classification.py" in sources
    assert not any("/migrations/" in p for p in sources)


def test_only_the_dialect_module_asks_for_the_database_vendor():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in project_sources()
        if path not in {DIALECT_MODULE, THIS_FILE}
        for line in vendor_checks(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], (
        "Ask inventory_site.db (dialect() / is_postgresql()) instead of "
        f"connection.vendor: {offenders}"
    )


@pytest.mark.parametrize("folder", [*PROJECT_APPS, "inventory_site"])
def test_raw_sql_names_tables_from_model_metadata(folder):
    """No module of the app (or of the site package) spells a table name of the
    project's models: raw SQL takes it from ``Model._meta.db_table``."""
    tables = sorted(
        {
            model._meta.db_table
            for model in apps.get_models()
            if model._meta.app_label in PROJECT_APPS
        },
        key=len,
        reverse=True,
    )
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, tables)) + r")\b")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}: {match.group(1)}"
        for path in project_sources()
        if path.relative_to(ROOT).parts[0] == folder
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for match in [pattern.search(line)]
        if match
    ]
    assert offenders == []
