from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "hotline.crm"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from hotline.crm import care_jobs  # noqa: F401  (care job kinds and periodic work register on import)
