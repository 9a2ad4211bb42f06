"""Customer levels, in a module of their own: the customer model and the care models (care criteria, greeting
rules, promotions by level) both use them, and the care models are loaded by the customer models' module."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    NORMAL = "normal", _("Normal")
    VIP = "vip", _("VIP")
