from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from demo.services import DEMO_USERS, demo_users_ensure


class Command(BaseCommand):
    help = (
        "Make sure the demo users admin (superuser) and staff (staff) exist. "
        "Password: --password, else DEMO_PASSWORD, else generated and printed "
        "for new users; existing users keep theirs unless a password is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", help="Password for both demo users.")

    def handle(self, *args, password: str | None, **options):
        origin = "--password"
        if not password:
            password, origin = settings.DEMO_PASSWORD or None, "DEMO_PASSWORD"
        try:
            result = demo_users_ensure(password=password)
        except ValidationError as error:
            raise CommandError(
                f"The password from {origin} is not accepted: "
                + " ".join(error.messages)
            ) from error

        names = [name for name, _ in DEMO_USERS]
        if result.created:
            self.stdout.write(f"Created demo user {' and '.join(result.created)}.")
        kept = [name for name in names if name not in result.password_set]
        if kept:
            verb = "exists" if len(kept) == 1 else "exist"
            self.stdout.write(
                f"Demo user {' and '.join(kept)} already {verb}; password unchanged."
            )
        if result.generated_password:
            self.stdout.write(
                self.style.WARNING(
                    f"Demo password for {' and '.join(result.created)}: "
                    f"{result.generated_password}"
                )
            )
        elif result.password_set:
            self.stdout.write(
                f"Password of {' and '.join(result.password_set)} set from {origin}."
            )
