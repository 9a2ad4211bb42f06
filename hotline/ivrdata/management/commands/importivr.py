"""`manage.py importivr FLOW.yaml [--name NAME] [--user NAME]`: store an IVR flow from a YAML file.

Creates the flow, or replaces the definition of the stored flow of that name. The name defaults to the
`name` the YAML gives. The same checks as the back office apply; a refused flow changes nothing and
the command exits non-zero with the loader's problems.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from hotline.core.management.authors import actor_for, add_user_argument
from hotline.ivrdata.actions import do_import_flow_yaml


class Command(BaseCommand):
    help = "Create or update a stored IVR flow from a YAML file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--name", default="", help="The flow's name (default: the name in the YAML).")
        parser.add_argument("--description", default="", help="A description shown in the back office.")
        add_user_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        text = path.read_text(encoding="utf-8")
        name = options["name"] or _name_in(text)
        try:
            flow, created = do_import_flow_yaml(name, text, actor=actor_for(options["user"]),
                                                description=options["description"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        message = _("Created the IVR flow “%(name)s”.") if created else _("Updated the IVR flow “%(name)s”.")
        self.stdout.write(self.style.SUCCESS(message % {"name": flow.name}))


def _name_in(text: str) -> str:
    """The YAML's `name`, or "" (the flow's validation then says what is wrong)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return ""
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else ""

