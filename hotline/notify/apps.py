from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    """Notifications: the outbox, its gateways, retries and receipts on the task worker's scheduler."""

    name = "hotline.notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from django.conf import settings

        from hotline.jobs import periodic
        from hotline.notify.actions import retry_due
        from hotline.notify.events import parse_templates
        from hotline.notify.inbound import poll_receipts

        parse_templates(settings.HOTLINE_SMS_TEMPLATES)  # a wrong entry stops the start, with its reason
        periodic.register("notify.retry", retry_due)
        periodic.register("notify.receipts", poll_receipts)
