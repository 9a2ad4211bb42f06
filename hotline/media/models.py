"""TV stations, the hotline numbers (DNIS) they show, and airings of spots — what attribution reads."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.lib.phones import normalize_phone


class Station(models.Model):
    """A TV station or channel that airs our spots (e.g. 湖南卫视 购物频道)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(_("channel"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} {self.channel}".strip()


class HotlineNumber(models.Model):
    """A number callers dial (DNIS). Mapped to one station, or shared by all (station empty).

    With `skip_menu_during_airing`, a call that an airing of the number would be attributed to (from the
    airing's start to the end of its attribution window, when its viewers call) skips the IVR: a short
    welcome plays while it waits in `airing_queue` (calls.host.directory).
    """

    number = models.CharField(_("number"), max_length=20, unique=True)
    station = models.ForeignKey(Station, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="hotline_numbers", verbose_name=_("station"),
                                help_text=_("Leave empty for a number shared by all stations."))
    description = models.CharField(_("description"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    skip_menu_during_airing = models.BooleanField(
        _("straight to the queue during an airing"), default=False,
        help_text=_("While an airing of this number is on, and during its attribution window after it, "
                    "callers hear a short welcome and wait in the queue below without the IVR menu."))
    airing_queue = models.ForeignKey(
        "calls.Queue", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("queue during an airing"),
        help_text=_("Where callers go straight to while an airing is on (usually the order queue)."))

    class Meta:
        verbose_name = _("hotline number")
        verbose_name_plural = _("hotline numbers")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number

    @property
    def is_shared(self) -> bool:
        return self.station_id is None

    def clean(self) -> None:
        self.number = normalize_phone(self.number)
        if self.skip_menu_during_airing and self.airing_queue_id is None:
            raise ValidationError({"airing_queue": _("Choose the queue callers go straight to during an airing.")})


class Airing(models.Model):
    """One broadcast of a spot: station, start, length, product, cost. `ends_at` is derived."""

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="airings",
                                verbose_name=_("station"))
    starts_at = models.DateTimeField(_("starts at"))
    length_seconds = models.PositiveIntegerField(
        _("length (seconds)"), validators=[MinValueValidator(1), MaxValueValidator(24 * 3600)])
    ends_at = models.DateTimeField(_("ends at"), editable=False)
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="airings", verbose_name=_("product"))
    cost = models.DecimalField(_("spot cost"), max_digits=12, decimal_places=2, default=0,
                               validators=[MinValueValidator(0)])
    title = models.CharField(_("title"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("airing")
        verbose_name_plural = _("airings")
        ordering = ["-starts_at"]
        indexes = [
            models.Index(fields=["station", "starts_at"]),
            models.Index(fields=["starts_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["station", "starts_at"], name="airing_unique_station_start"),
        ]

    def __str__(self) -> str:
        # Local time (TIME_ZONE), as every screen shows times; a naive value is shown as it is.
        starts = timezone.localtime(self.starts_at) if timezone.is_aware(self.starts_at) else self.starts_at
        return f"{self.station} {starts:%Y-%m-%d %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.ends_at = self.starts_at + datetime.timedelta(seconds=self.length_seconds)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        if self.length_seconds is None or self.length_seconds < 1:
            raise ValidationError({"length_seconds": _("An airing lasts at least one second.")})
