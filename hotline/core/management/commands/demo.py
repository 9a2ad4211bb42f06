"""`hotline demo`: everything a newcomer needs in one command, on SQLite in the data folder."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from hotline.accounts.models import User


class Command(BaseCommand):
    help = "Migrate, load the demo data when the database is empty, print the logins and serve."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Prepare the database and stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Database: {settings.DATABASES['default']['NAME']}")
        self.stdout.write("Migrating the database…")
        call_command("migrate", verbosity=0, interactive=False)
        if not User.objects.exists():
            self.stdout.write("Empty database: loading the demo data (a few seconds)…")
            call_command("loaddemo")
        else:
            self.stdout.write("Demo data already loaded; keeping it.")
        from hotline.demo.data import DEMO_PASSWORD, DEMO_USERS

        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, _name in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {role}")
        self.stdout.write(f"\nBack office: http://{options['host']}:{options['port']}/admin/   "
                          f"API: http://{options['host']}:{options['port']}/api/docs\n")
        if not options["no_serve"]:
            call_command("serve", host=options["host"], port=options["port"])
