"""`hotline engine`: run the telephony engine on uvloop with the database's seats, queues and routes, until
SIGINT or SIGTERM (`hotline.calls.host.process`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.calls.host.process import run_engine


class Command(BaseCommand):
    help = "Run the telephony engine (SIP, RTP, IVR, ACD) on uvloop until Ctrl+C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sip-port", type=int, default=None, help="Override HOTLINE_SIP_PORT (0: ephemeral).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run_engine(self.stdout.write, sip_port=options["sip_port"])
        except ImproperlyConfigured as error:  # the demo password on a seat, bad trunk addresses
            raise CommandError(str(error)) from None
        self.stdout.write("Engine stopped.")
