from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallsConfig(AppConfig):
    name = "hotline.calls"
    verbose_name = _("Calls")

    def ready(self) -> None:
        from hotline.calls.host.link import watch_configuration
        from hotline.calls.voicemail_actions import enforce_retention
        from hotline.jobs.periodic import register

        watch_configuration()
        register("calls.recording_retention", enforce_retention)  # HOTLINE_RECORDING_RETENTION_DAYS
