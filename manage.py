#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

# Commands that only read models and migration files: they sign nothing, so a
# fresh checkout can run them without DJANGO_SECRET_KEY (which the settings
# otherwise require whenever debug is off).
SCHEMA_COMMANDS = {
    "makemigrations",
    "showmigrations",
    "sqlmigrate",
    "squashmigrations",
    "optimizemigration",
}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_site.settings.base")
    if len(sys.argv) > 1 and sys.argv[1] in SCHEMA_COMMANDS:
        os.environ.setdefault("DJANGO_SECRET_KEY", "unused-by-schema-commands")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
