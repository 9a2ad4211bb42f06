from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    name = "hotline.desk"
    verbose_name = _("Agent desktop")

    def ready(self) -> None:
        from hotline.calls.live import watch_web_events

        watch_web_events()  # messages and new orders reach the live screens
