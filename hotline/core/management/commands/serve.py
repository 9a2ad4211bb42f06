"""`hotline serve`: run the ASGI web app with uvicorn on uvloop."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the Hotline web app (uvicorn + uvloop)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        self.stdout.write(f"Serving Hotline on http://{options['host']}:{options['port']}/ (Ctrl+C stops)")
        uvicorn.run("hotline.asgi:application", host=options["host"], port=options["port"], loop="uvloop",
                    lifespan="off", log_level="info")
