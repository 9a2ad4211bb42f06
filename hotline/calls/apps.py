from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallsConfig(AppConfig):
    name = "hotline.calls"
    verbose_name = _("Calls")

    def ready(self) -> None:
        from hotline.calls.host.link import watch_configuration

        watch_configuration()
