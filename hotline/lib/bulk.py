"""Many rows written with one INSERT per batch: the bulk writers of logistics (feedback files) and finance
(remittance statements, freight bills). `bulk_create` builds a model instance and compiles SQL per batch
(measured: a third of a 100,000-row feedback apply), and one statement per row (`executemany`) costs
PostgreSQL a round trip each. Values go to the database as `bulk_create` would send them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar, cast

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

PARAMETERS = 30_000  # values per INSERT: SQLite allows 32,766
T = TypeVar("T")


def insert_rows(model: type[Model], names: Sequence[str], rows: Sequence[Sequence[Any]],
                returning: Sequence[str] = ()) -> list[tuple[Any, ...]]:
    """INSERT the rows (values in the order of the field `names`), many per statement; the `returning`
    columns of every row inserted."""
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: it is looked up again for every value otherwise
    fields = [_field(model, name) for name in names]
    prepare = [_preparer(field, db) for field in fields]
    quote = db.ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "
    one = f"({', '.join(['%s'] * len(fields))})"
    tail = f" RETURNING {', '.join(quote(_field(model, n).column) for n in returning)}" if returning else ""
    back: list[tuple[Any, ...]] = []
    with db.cursor() as cursor:
        for batch in batches(rows, max(1, PARAMETERS // len(fields))):
            values = [each(value) for row in batch for each, value in zip(prepare, row, strict=True)]
            cursor.execute(head + ", ".join([one] * len(batch)) + tail, values)
            if returning:
                back.extend(tuple(row) for row in cursor.fetchall())
    return back


def _preparer(field: Field[Any, Any], db: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    """How a value goes to the database for this field, as `bulk_create` would send it: times, dates and
    JSON through the field (each distinct time once: a batch's rows often share theirs); decimals, numbers
    and ids as they are; text as plain str (a TextChoices member becomes its value)."""
    if isinstance(field, models.DateTimeField | models.DateField | models.JSONField):
        done: dict[Any, Any] = {}

        def through_field(value: Any) -> Any:
            if isinstance(value, dict | list):
                return field.get_db_prep_save(value, db)
            if value not in done:
                done[value] = field.get_db_prep_save(value, db)
            return done[value]

        return through_field
    if isinstance(field, models.CharField | models.TextField):
        return lambda value: value if value is None else str(value)
    return lambda value: value


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    return cast(Field[Any, Any], model._meta.get_field(name))


def batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """`items` in slices of `size`."""
    for start in range(0, len(items), size):
        yield items[start:start + size]
