"""Excel (.xlsx) and CSV tables in and out: column specs, cell parsing, and the import runner.

An import reads every row, parses its cells, then applies the rows through the domain actions inside
one transaction, each row in its own savepoint so that one bad row cannot spoil the others. The rows
are always all tried, so the user sees every bad row at once; when any row is bad the whole
transaction is rolled back, unless the user asked to import the good rows anyway.

Imports accept headers in Chinese or English (a column's key, its label in either language, or one of
its aliases); columns that are not known are ignored. Times without a zone are in settings.TIME_ZONE.
"""

from hotline.lib.xlsx.cells import (
    local_naive,
    parse_amount,
    parse_bool,
    parse_choice,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_int,
    parse_seconds,
    parse_text,
    parse_time,
)
from hotline.lib.xlsx.imports import (
    CREATED,
    UNCHANGED,
    UPDATED,
    ImportResult,
    RowError,
    RowParser,
    TableImport,
)
from hotline.lib.xlsx.tables import (
    Column,
    ImportFileError,
    Row,
    normalize_header,
    read_rows,
    write_csv,
    write_xlsx,
)

__all__ = [
    "CREATED", "UNCHANGED", "UPDATED", "Column", "ImportFileError", "ImportResult", "Row", "RowError",
    "RowParser", "TableImport", "local_naive", "normalize_header", "parse_amount", "parse_bool", "parse_choice",
    "parse_date", "parse_datetime", "parse_decimal", "parse_int", "parse_seconds", "parse_text", "parse_time",
    "read_rows", "write_csv", "write_xlsx",
]
