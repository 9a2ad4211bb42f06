from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo data set (`hotline loaddemo`)."""

    name = "hotline.demo"
    verbose_name = _("Demo data")
