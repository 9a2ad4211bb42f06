"""The reports under /reports/: each report's module lists its own URLs."""

from importlib import import_module

from django.urls import URLPattern, path

from hotline.reports.views.index import index

app_name = "reports"

# Each report's view module, when it exists, has `urls`: a list of path()s named as in views.common.REPORTS.
MODULES = ["kpis", "lines", "funnel", "media", "agents", "business", "custom", "drill"]


def _urls() -> list[URLPattern]:
    found: list[URLPattern] = []
    for name in MODULES:
        try:
            module = import_module(f"hotline.reports.views.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"hotline.reports.views.{name}":
                raise
            continue
        found += module.urls
    return found


urlpatterns = [path("", index, name="index"), *_urls()]
