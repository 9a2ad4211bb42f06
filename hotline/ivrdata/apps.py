"""The IVR as data: flows per hotline number and uploaded prompts (docs/telephony.md, "IVR")."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IvrDataConfig(AppConfig):
    """Stored IVR flows and prompts, edited in the back office and handed to the engine at start."""

    name = "hotline.ivrdata"
    verbose_name = _("IVR")
