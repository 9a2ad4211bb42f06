"""`hotline import customers|products|airings FILE.xlsx [--good-rows] [--user NAME]`.

The same import as the back office's Import button: every bad row is printed with its number and
reason; a file with errors imports nothing unless --good-rows is given. Exits non-zero when nothing
was imported, so that scripts notice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from hotline.catalog.imports import ProductImport
from hotline.core.management.authors import actor_for, add_user_argument
from hotline.crm.imports import CustomerImport
from hotline.lib.xlsx import TableImport
from hotline.media.imports import AiringImport

IMPORTS: dict[str, type[TableImport]] = {
    "customers": CustomerImport,
    "products": ProductImport,
    "airings": AiringImport,
}


class Command(BaseCommand):
    help = "Import customers, products or airings from an Excel (.xlsx) or CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(IMPORTS))
        parser.add_argument("path")
        parser.add_argument("--good-rows", action="store_true",
                            help="Import the valid rows even when other rows have errors.")
        add_user_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        actor = actor_for(options["user"])
        importer = IMPORTS[options["kind"]](actor=actor)
        with path.open("rb") as stream:
            result = importer.run(stream, path.name, good_rows=options["good_rows"])
        for error in result.errors:
            self.stderr.write(str(error))
        if not result.imported:
            raise CommandError(result.summary())
        self.stdout.write(self.style.SUCCESS(result.summary()))

