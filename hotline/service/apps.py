from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "hotline.service"
    verbose_name = _("Customer service")

    def ready(self) -> None:
        from hotline.jobs.periodic import register
        from hotline.service.complaint_actions import escalate_overdue

        # Every minute on the worker: overdue complaints are escalated to the supervisors, once each.
        register("service.escalate_overdue_complaints", escalate_overdue)
