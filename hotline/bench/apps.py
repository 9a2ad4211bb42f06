from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenchConfig(AppConfig):
    """Benchmarks (`hotline bench …`), which print figures and write docs/benchmarks.md."""

    name = "hotline.bench"
    verbose_name = _("Benchmarks")
