"""`hotline token USER`: issue a REST API token and print it once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.accounts.actions import do_create_api_token
from hotline.accounts.models import User


class Command(BaseCommand):
    help = "Issue a REST API token for a user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        _token, raw = do_create_api_token(user, actor=None, name=options["name"])
        self.stdout.write(raw)
