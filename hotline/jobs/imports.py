"""The customer, product and airing imports as jobs: the same `TableImport`, run by the worker with a
progress bar; its rows and the Job's "done" commit together."""

from __future__ import annotations

import io
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hotline.catalog.imports import ProductImport
from hotline.crm.imports import CustomerImport
from hotline.jobs.registry import register
from hotline.jobs.runner import JobContext
from hotline.lib.xlsx import ImportResult, TableImport
from hotline.logistics.imports import CoverageImport
from hotline.media.imports import AiringImport

# kind -> (import, the model's admin name "app/model")
TABLES: dict[str, tuple[type[TableImport], str]] = {
    "import.customers": (CustomerImport, "crm/customer"),
    "import.products": (ProductImport, "catalog/product"),
    "import.airings": (AiringImport, "media/airing"),
    "import.coverage": (CoverageImport, "logistics/coverage"),
}
LABELS = {"import.customers": _("Customer import"), "import.products": _("Product import"),
          "import.airings": _("Airing import"), "import.coverage": _("Coverage import")}


def import_kind(model_label: str) -> str:
    """The job kind that imports this model ("crm.customer" → "import.customers")."""
    for kind, (_importer, admin_name) in TABLES.items():
        if admin_name.replace("/", ".") == model_label:
            return kind
    raise KeyError(model_label)


def report(result: ImportResult) -> dict[str, Any]:
    """An import's result as the job's JSON report (messages already in the creator's language)."""
    return {"total": result.total, "valid": result.valid, "created": result.created, "updated": result.updated,
            "unchanged": result.unchanged, "imported": result.imported, "file_error": result.file_error,
            "summary": result.summary(), "bad_rows": result.bad_rows,
            "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in result.errors]}


def _import_handler(importer: type[TableImport]) -> Any:
    def run(ctx: JobContext) -> dict[str, Any]:
        result = importer(actor=ctx.actor).run(
            io.BytesIO(ctx.file), ctx.job.file_name, good_rows=bool(ctx.payload.get("good_rows")),
            progress=ctx.progress, before_commit=lambda done: ctx.finish(report(done)))
        return report(result)

    return run


def _changelist(admin_name: str) -> Any:
    app, model = admin_name.split("/")
    return lambda payload: reverse(f"admin:{app}_{model}_changelist")


for _kind, (_importer, _admin_name) in TABLES.items():
    _app, _model = _admin_name.split("/")
    register(_kind, label=LABELS[_kind], permission=f"{_app}.change_{_model}",
             back_url=_changelist(_admin_name))(_import_handler(_importer))


def may_import(user: Any, kind: str) -> bool:
    """Whether this user may run the import of `kind` (as the admin's Import page asks: add and change)."""
    app, model = TABLES[kind][1].split("/")
    return all(user.has_perm(f"{app}.{verb}_{model}") for verb in ("add", "change"))
