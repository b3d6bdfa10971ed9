from django.apps import AppConfig


class BulkConfig(AppConfig):
    """Imports and exports (infrastructure, like ``jobs``): readers, widgets, the
    resource base and registry, import runs, the admin and the commands. It
    imports no domain app; resources are named in ``BULK_RESOURCES``."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "bulk"
    verbose_name = "Imports"
