"""`hotline demo`: everything a newcomer needs in one command, on SQLite in the data folder."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from hotline.accounts.models import User
from hotline.calls.embedded import EmbeddedEngine


class Command(BaseCommand):
    help = "Migrate, load the demo data when the database is empty, print the logins and serve."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Prepare the database and stop.")
        parser.add_argument("--no-engine", action="store_true",
                            help="Serve the web app only, without the telephony engine beside it.")

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
        if options["no_serve"]:
            return
        engine = None if options["no_engine"] else self.start_engine()
        try:
            call_command("serve", host=options["host"], port=options["port"])
        finally:
            if engine is not None:
                engine.stop()

    def start_engine(self) -> EmbeddedEngine | None:
        """The engine in this process (SIP on HOTLINE_SIP_PORT); the web app still runs if it cannot start."""
        engine = EmbeddedEngine()
        try:
            lines = engine.start()
        except OSError as exc:
            self.stderr.write(f"The telephony engine did not start ({exc}); serving the web app without it.")
            return None
        self.stdout.write("Telephony engine:")
        for line in lines:
            self.stdout.write(f"  {line}")
        host, port = engine.engine.sip_address if engine.engine else ("127.0.0.1", 5060)
        self.stdout.write(f"  Try it: sipp -sn uac {host}:{port} -s 4008001000 -m 1, or `hotline simulate airing`\n")
        return engine
