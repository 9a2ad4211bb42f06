from django.apps import AppConfig
from django.conf import settings
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    """Long work on the task worker: the Job row, its progress, the worker and the job page."""

    name = "hotline.jobs"
    verbose_name = _("Jobs")

    def ready(self) -> None:
        # Job kinds register themselves when their module is imported; the worker and the web app
        # must know the same kinds, so every app's `jobs.py` is loaded here.
        from hotline.jobs import imports  # noqa: F401

        autodiscover_modules("jobs")
        if settings.TESTING:
            from hotline.jobs import testing  # noqa: F401
