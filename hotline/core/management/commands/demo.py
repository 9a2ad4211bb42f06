"""`hotline demo`: everything a newcomer needs in one command, on SQLite in the data folder."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from hotline.accounts.models import User
from hotline.accounts.permissions import Role
from hotline.calls.host.embedded import EmbeddedEngine
from hotline.calls.models import Seat
from hotline.demo.data import DEMO_PASSWORD, DEMO_USERS, SHOWCASE_NUMBER
from hotline.jobs.worker import JobWorker
from hotline.simulate import DEFAULT_DNIS, DEMO_SIP_PASSWORD


def seat_lines(registrar: str, desk_url: str) -> list[str]:
    """Who sits where, the SIP user of each seat's phone, and what a softphone needs to register."""
    lines = [f"Seats (agents start signed out: register the seat's phone, sign in at {desk_url} and confirm "
             "the seat):"]
    for seat in Seat.objects.select_related("usual_agent").order_by("name"):
        who = seat.usual_agent
        name, username = (who.get_full_name(), who.username) if who else ("", "—")
        if who and who.role == Role.SUPERVISOR:
            name += " (supervisor: listen / whisper / barge ring this phone)"
        lines.append(f"  {username:<8} → {seat.name} → SIP user {seat.sip_username}  {name}")
    lines.append(f"Softphone: user = the seat's SIP user (8001 for agent1), password {DEMO_SIP_PASSWORD}, "
                 f"domain and registrar {registrar}, transport UDP.")
    return lines


class Command(BaseCommand):
    help = ("Migrate, load the demo data when the database is empty, print the logins, the seats and their "
            "phones, and serve the web app with the telephony engine and the task worker beside it.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Prepare the database and stop.")
        parser.add_argument("--no-engine", action="store_true",
                            help="Serve the web app only, without the telephony engine beside it.")
        parser.add_argument("--no-worker", action="store_true",
                            help="Do not run the task worker (imports, printing) in this process.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Database: {settings.DATABASES['default']['NAME']}")
        self.stdout.write("Migrating the database…")
        call_command("migrate", verbosity=0, interactive=False)
        if not User.objects.exists():
            self.stdout.write("Empty database: loading the demo data (a few seconds)…")
            call_command("loaddemo")
        else:
            self.stdout.write("Demo data already loaded; keeping it.")
        site = f"http://{options['host']}:{options['port']}"
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, _name in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {role}")
        self.stdout.write(f"\nBack office: {site}/admin/   API: {site}/api/docs\n\n", ending="")
        engine = None if options["no_serve"] or options["no_engine"] else self.start_engine()
        host, port = engine.engine.sip_address if engine and engine.engine else (settings.HOTLINE_SIP_HOST,
                                                                                  settings.HOTLINE_SIP_PORT)
        for line in seat_lines(f"{host}:{port}", f"{site}/desk/"):
            self.stdout.write(line)
        self.stdout.write("Every demo seat shares that one SIP password, which anyone can read here: outside the demo "
                          "the engine refuses to start until each such seat has its own.")
        self.stdout.write(f"\nTry it: register a softphone as above, then ring the hotline {DEFAULT_DNIS} as a known "
                          f"customer with `hotline simulate call --from {SHOWCASE_NUMBER}`, or air a TV spot with "
                          "`hotline simulate airing --cps 5 --duration 30 --agents 10`.\n")
        if options["no_serve"]:
            return
        worker = None if options["no_worker"] else self.start_worker()
        try:
            call_command("serve", host=options["host"], port=options["port"])
        finally:
            if worker is not None:
                worker.stop()
            if engine is not None:
                engine.stop()

    def start_worker(self) -> JobWorker:
        """The task worker on a thread of this process (ARCHITECTURE: "Embedded default")."""
        worker = JobWorker()
        worker.start()
        self.stdout.write("Task worker: running in this process (imports and printing run on it).\n")
        return worker

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
        self.stdout.write("")
        return engine
