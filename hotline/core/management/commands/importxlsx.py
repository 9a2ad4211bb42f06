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
from django.utils.translation import ngettext

from hotline.catalog.imports import ProductImport
from hotline.core.management.authors import actor_for, add_user_argument
from hotline.crm.imports import CustomerImport
from hotline.lib.xlsx import ImportResult, TableImport
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
            raise CommandError(refusal(result))
        self.stdout.write(self.style.SUCCESS(result.summary()))


def refusal(result: ImportResult) -> str:
    """Why nothing was imported, naming the option as it is typed here (the back office has a button)."""
    bad = len(result.bad_rows)
    if result.file_error or not bad:
        return result.summary()
    if bad >= result.total:
        return ngettext("Nothing was imported: the only row has errors. Fix it and run the command again.",
                        "Nothing was imported: all %(total)d rows have errors. Fix them and run the command again.",
                        bad) % {"total": result.total}
    return ngettext("Nothing was imported: %(bad)d of %(total)d rows has errors. Fix it, or run the command again "
                    "with --good-rows to import the valid rows.",
                    "Nothing was imported: %(bad)d of %(total)d rows have errors. Fix them, or run the command "
                    "again with --good-rows to import the valid rows.", bad) % {"bad": bad, "total": result.total}

