"""bulk/ is infrastructure, like jobs/: it imports no domain app. It finds the
resources through the BULK_RESOURCES setting instead."""

import ast
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

from bulk.resources import BulkResource, resource_class, resource_names

DOMAIN_APPS = {"items", "suppliers", "replenishment", "portal", "demo"}
BULK = Path(__file__).resolve().parents[2] / "bulk"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (also inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_bulk_imports_no_domain_app():
    files = sorted(BULK.rglob("*.py"))
    assert len(files) > 10  # the app's modules were found
    offenders = {
        f"{path.relative_to(BULK.parent)}: {module}"
        for path in files
        for module in imported_modules(path)
        if module.split(".")[0] in DOMAIN_APPS
    }
    assert offenders == set()


def test_the_check_sees_an_import_of_a_domain_app(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from items.models import Item\nimport suppliers\n")
    assert {"items.models", "suppliers"} <= imported_modules(sample)


def test_every_registered_resource_is_a_bulk_resource():
    assert resource_names() == sorted(settings.BULK_RESOURCES)
    assert set(resource_names()) >= {
        "items", "suppliers", "sources", "deliveries", "movements", "demand",
    }  # fmt: skip
    for name, path in settings.BULK_RESOURCES.items():
        assert resource_class(name) is import_string(path)
        assert issubclass(resource_class(name), BulkResource)
