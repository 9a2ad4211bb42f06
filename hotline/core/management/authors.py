"""The `--user NAME` option of commands that write through actions: whom the audit log names."""

from __future__ import annotations

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from hotline.accounts.models import User


def add_user_argument(parser: CommandParser) -> None:
    parser.add_argument("--user", default="",
                        help="Username recorded as the author in the audit log (default: system).")


def actor_for(username: str) -> User | None:
    """The user named on the command line, None for the system; an unknown name stops the command."""
    if not username:
        return None
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(_("No user “%(name)s”.") % {"name": username})
    return user
