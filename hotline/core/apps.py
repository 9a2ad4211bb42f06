from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Project-wide commands (demo, serve, createadmin) that belong to no business app."""

    name = "hotline.core"
    verbose_name = _("Hotline")
