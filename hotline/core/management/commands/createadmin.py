"""`hotline createadmin`: create an administrator (asks for a password unless --password is given)."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotline.accounts.actions import do_create_user
from hotline.accounts.models import User
from hotline.accounts.permissions import Role


class Command(BaseCommand):
    help = "Create a Hotline administrator."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        if User.objects.filter(username=username).exists():
            raise CommandError(f"User {username!r} already exists.")
        password = options["password"] or getpass.getpass("Password: ")
        if len(password) < 8:
            raise CommandError("Use a password of at least 8 characters.")
        do_create_user(username, password, Role.ADMIN, actor=None)
        self.stdout.write(self.style.SUCCESS(f"Administrator {username!r} created."))
