"""The import runner: parse every row, apply them through the domain actions, all or (when asked)
only the good ones, atomically; and the export of the same columns."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, ClassVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hotline.lib.xlsx.tables import Column, ImportFileError, Row, read_rows, write_csv, write_xlsx

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
Progress = Callable[[int, int], None]


def _no_progress(done: int, total: int) -> None:
    """The default progress hook: nobody is watching."""


@dataclass(frozen=True)
class RowError:
    """Why one row (numbered as in the spreadsheet) was refused; `column` is a label or empty."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("Row %(row)d, %(column)s: %(message)s") % {
                "row": self.row, "column": self.column, "message": self.message}
        return _("Row %(row)d: %(message)s") % {"row": self.row, "message": self.message}


@dataclass
class ImportResult:
    """What an import did: counts, the bad rows, and whether anything was written."""

    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_error: str = ""
    imported: bool = False

    @property
    def bad_rows(self) -> list[int]:
        return sorted({error.row for error in self.errors})

    @property
    def valid(self) -> int:
        return self.total - len(self.bad_rows)

    def summary(self) -> str:
        """One translated line for a message or the command's last line."""
        if self.file_error:
            return self.file_error
        bad = len(self.bad_rows)
        if not self.imported:
            return ngettext("Nothing was imported: %(bad)d of %(total)d rows has errors. Fix it, or import the "
                            "valid rows anyway.",
                            "Nothing was imported: %(bad)d of %(total)d rows have errors. Fix them, or import the "
                            "valid rows anyway.", bad) % {"bad": bad, "total": self.total}
        done = self.created + self.updated + self.unchanged
        return ngettext("Imported %(done)d row: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
                        "%(bad)d refused.",
                        "Imported %(done)d rows: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
                        "%(bad)d refused.", done) % {"done": done, "created": self.created, "updated": self.updated,
                                                     "unchanged": self.unchanged, "bad": bad}


class TableImport:
    """Base of the customer, product and airing imports. Subclasses give the columns and three steps:

    - `parse(row)`: cells to a dict of typed values (present columns only); raises ValidationError
      keyed by column key, with every bad cell of the row.
    - `keys(data)`: natural keys of the row, so that a key repeated inside the file is refused.
    - `apply(data)`: create or update through the domain actions; returns CREATED, UPDATED or
      UNCHANGED; raises ValidationError keyed by model field (see `field_columns`).
    """

    columns: ClassVar[Sequence[Column]] = ()
    field_columns: ClassVar[Mapping[str, str]] = {}  # model field name -> column key, for error messages
    key_label: ClassVar[str | Promise] = ""

    def __init__(self, *, actor: Any) -> None:
        self.actor = actor

    def parse(self, row: Row) -> dict[str, Any]:
        raise NotImplementedError

    def keys(self, data: dict[str, Any]) -> list[Hashable]:
        raise NotImplementedError

    def describe_key(self, key: Hashable) -> str:
        return str(key)

    def apply(self, data: dict[str, Any]) -> str:
        raise NotImplementedError

    def check_columns(self, present: set[str]) -> None:
        """Refuse a file whose columns cannot make a row (beyond `Column.required`)."""

    # -- export: the same columns, so that an exported file imports back to the same data

    sheet_title: ClassVar[str | Promise] = ""

    @classmethod
    def export_columns(cls, user: Any) -> list[Column]:
        """The columns this user may export (subclasses drop costs the user may not see)."""
        return list(cls.columns)

    @classmethod
    def export_queryset(cls, queryset: Any) -> Any:
        """The queryset with what `export_values` reads fetched in bulk."""
        return queryset

    @classmethod
    def export_values(cls, obj: Any) -> dict[str, Any]:
        """One object's cells by column key, in the form the import reads back."""
        raise NotImplementedError

    @classmethod
    def export(cls, queryset: Any, *, user: Any, fmt: str = "xlsx") -> bytes:
        """The queryset as an .xlsx workbook or a CSV file (`fmt` is "xlsx" or "csv")."""
        return cls.export_counted(queryset, user=user, fmt=fmt)[0]

    @classmethod
    def export_counted(cls, queryset: Any, *, user: Any, fmt: str = "xlsx") -> tuple[bytes, int]:
        """`export`, and how many rows the file holds (counted while writing, for the audit log)."""
        columns = cls.export_columns(user)
        headers = [str(column.label) for column in columns]
        written = 0

        def rows() -> Iterator[list[Any]]:
            nonlocal written
            for obj in cls.export_queryset(queryset).iterator(chunk_size=1000):
                written += 1
                yield [cls.export_values(obj).get(column.key) for column in columns]

        if fmt == "csv":
            return write_csv(headers, rows()), written
        return write_xlsx(str(cls.sheet_title), headers, rows()), written

    def run(self, stream: IO[bytes], filename: str, *, good_rows: bool = False, progress: Progress | None = None,
            before_commit: Callable[[ImportResult], None] | None = None) -> ImportResult:
        """Import a file. With errors, nothing is written unless `good_rows`; writing is atomic.

        `progress(done, total)` is told of every row parsed then applied (total: twice the rows);
        `before_commit(result)` runs inside the import's transaction when rows were imported, so that a
        job can record itself done in the same commit as the rows (hotline/jobs).
        """
        result = ImportResult()
        try:
            rows = read_rows(stream, filename, self.columns)
            self.check_columns(set(rows[0].values))
        except ImportFileError as exc:
            result.file_error = exc.message
            return result
        result.total = len(rows)
        report = progress or _no_progress
        parsed = self._parse_all(rows, result, report)
        with transaction.atomic():
            self._apply_all(parsed, result, report)
            bad = set(result.bad_rows)
            result.imported = (not bad or good_rows) and len(bad) < result.total
            result.errors.sort(key=lambda error: error.row)
            if not result.imported:
                transaction.set_rollback(True)
                result.created = result.updated = result.unchanged = 0
            elif before_commit is not None:
                before_commit(result)
        return result

    def _parse_all(self, rows: list[Row], result: ImportResult, progress: Progress) -> list[tuple[int, dict[str, Any]]]:
        seen: dict[Hashable, int] = {}
        parsed: list[tuple[int, dict[str, Any]]] = []
        steps = 2 * len(rows)
        for done, row in enumerate(rows, 1):
            progress(done, steps)
            try:
                data = self.parse(row)
            except ValidationError as exc:
                result.errors.extend(self._row_errors(row.number, exc, by_column=True))
                continue
            repeated = [(key, seen[key]) for key in self.keys(data) if key in seen]
            if repeated:
                key, first = repeated[0]
                result.errors.append(RowError(row.number, str(self.key_label), _(
                    "%(key)s is already on row %(row)d of this file.") % {"key": self.describe_key(key), "row": first}))
                continue
            seen.update({key: row.number for key in self.keys(data)})
            parsed.append((row.number, data))
        return parsed

    def _apply_all(self, parsed: list[tuple[int, dict[str, Any]]], result: ImportResult, progress: Progress) -> None:
        steps, skipped = 2 * result.total, 2 * result.total - len(parsed)
        for done, (number, data) in enumerate(parsed, skipped + 1):
            progress(done, steps)
            try:
                with transaction.atomic():
                    outcome = self.apply(data)
            except ValidationError as exc:
                result.errors.extend(self._row_errors(number, exc, by_column=False))
                continue
            except IntegrityError:
                result.errors.append(RowError(number, "", _("This row conflicts with data already saved.")))
                continue
            setattr(result, outcome, getattr(result, outcome) + 1)

    def _row_errors(self, number: int, exc: ValidationError, *, by_column: bool) -> list[RowError]:
        if not hasattr(exc, "error_dict"):
            return [RowError(number, "", message) for message in exc.messages]
        errors: list[RowError] = []
        for name, messages in exc.message_dict.items():
            key = name if by_column else self.field_columns.get(name, name)
            label = self._label(key) if name != NON_FIELD_ERRORS else ""
            errors.extend(RowError(number, label, message) for message in messages)
        return errors

    def _label(self, key: str) -> str:
        for column in self.columns:
            if column.key == key:
                return str(column.label)
        return ""


class RowParser:
    """Collects the typed values and the errors of one row's cells, column by column."""

    def __init__(self, row: Row) -> None:
        self.row = row
        self.data: dict[str, Any] = {}
        self.errors: dict[str, list[str]] = {}

    def take(self, key: str, parse: Callable[[Any], Any], *, required: bool = False) -> Any:
        """Parse the cell of column `key` into `data[key]` when the column is in the file."""
        if key not in self.row.values:
            return None
        try:
            value = parse(self.row.values[key])
        except ValidationError as exc:
            self.error(key, *exc.messages)
            return None
        if required and value in (None, ""):
            self.error(key, _("This field is required."))
            return None
        self.data[key] = value
        return value

    def error(self, key: str, *messages: str) -> None:
        self.errors.setdefault(key, []).extend(messages)

    def done(self) -> dict[str, Any]:
        """The typed row, or a ValidationError naming every bad cell."""
        if self.errors:
            raise ValidationError(self.errors)
        return self.data
