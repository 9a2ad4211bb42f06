"""Customers, their phone numbers and addresses, the blacklist of numbers, and customer care: saved care
criteria, produced care lists, greeting rules, care call tasks, the points ledger and promotions."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hotline.crm.levels import Level
from hotline.lib.lunar import next_birthday
from hotline.lib.text import check_text_lengths


class Gender(models.TextChoices):
    MALE = "m", _("Male")
    FEMALE = "f", _("Female")
    UNKNOWN = "u", _("Unknown")


class Credit(models.TextChoices):
    GOOD = "good", _("Good")
    WATCH = "watch", _("Watch")
    BAD = "bad", _("Bad")


class Channel(models.TextChoices):
    """How a customer wants to hear about their orders."""

    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    VOICE = "voice", _("Voice call")
    FAX = "fax", _("Fax")
    NONE = "none", _("No notifications")


class Customer(models.Model):
    """A buyer. Found by any of their phone numbers; `birthday` is the solar date of birth and
    `birthday_lunar` says the customer celebrates it by the lunar calendar (care lists use that)."""

    name = models.CharField(_("full name"), max_length=100)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, default=Gender.UNKNOWN)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    birthday_lunar = models.BooleanField(_("lunar birthday"), default=False)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, default=Level.NORMAL)
    member_no = models.CharField(_("member number"), max_length=20, unique=True, null=True, blank=True)
    pin_hash = models.CharField(_("PIN"), max_length=128, blank=True, editable=False)
    points = models.IntegerField(_("points"), default=0, validators=[MinValueValidator(0)])
    credit = models.CharField(_("credit"), max_length=8, choices=Credit.choices, default=Credit.GOOD)
    credit_reason = models.CharField(_("credit reason"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    fax = models.CharField(_("fax"), max_length=32, blank=True)
    notify_channel = models.CharField(_("notification channel"), max_length=8, choices=Channel.choices,
                                      default=Channel.SMS)
    notes = models.TextField(_("notes"), blank=True, max_length=4000)
    # 喜好: comma-separated tags (保健, 厨具 …) that care criteria and greeting rules match on
    preferences = models.CharField(_("preferences"), max_length=200, blank=True)
    first_airing = models.ForeignKey("media.Airing", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("first airing"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        check_text_lengths(self)

    @property
    def next_birthday(self) -> datetime.date | None:
        """The next day (today included) the customer celebrates, by the lunar calendar if they do."""
        if self.birthday is None:
            return None
        return next_birthday(self.birthday, self.birthday_lunar, timezone.localdate())

    @property
    def salutation(self) -> str:
        """`王先生` / `李女士` for scripts; the full name when gender is unknown."""
        if not self.name:
            return ""
        if self.gender == Gender.MALE:
            return f"{self.name[0]}先生"
        if self.gender == Gender.FEMALE:
            return f"{self.name[0]}女士"
        return self.name

    def primary_phone(self) -> str:
        phones = sorted(self.phones.all(), key=lambda p: (not p.is_primary, p.id))
        return phones[0].number if phones else ""


class CustomerPhone(models.Model):
    """One of a customer's numbers in normal form, with region and carrier derived offline."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones",
                                 verbose_name=_("customer"))
    number = models.CharField(_("number"), max_length=20, db_index=True)
    kind = models.CharField(_("kind"), max_length=10)
    province = models.CharField(_("province"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    carrier = models.CharField(_("carrier"), max_length=20, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        constraints = [models.UniqueConstraint(fields=["customer", "number"], name="phone_unique_per_customer")]

    def __str__(self) -> str:
        return self.number


class Address(models.Model):
    """A delivery address: the text as typed and the parts parsed from it."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses",
                                 verbose_name=_("customer"))
    recipient = models.CharField(_("recipient"), max_length=100, blank=True)
    phone = models.CharField(_("recipient phone"), max_length=20, blank=True)
    province = models.CharField(_("province"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    district = models.CharField(_("district"), max_length=30, blank=True)
    detail = models.CharField(_("street and number"), max_length=300)
    postcode = models.CharField(_("postcode"), max_length=6, blank=True)
    raw = models.CharField(_("as typed"), max_length=400, blank=True)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "id"]

    def __str__(self) -> str:
        return self.full_text

    @property
    def full_text(self) -> str:
        city = "" if self.city == self.province else self.city
        return f"{self.province}{city}{self.district}{self.detail}"


class BlacklistAction(models.TextChoices):
    WARN = "warn", _("Warn the agent")
    REJECT = "reject", _("Reject the call")


class BlacklistEntry(models.Model):
    """A number reported as a nuisance. Active entries warn the agent or reject the call; a number
    reported `HOTLINE_BLACKLIST_THRESHOLD` times becomes active by itself."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=8, choices=BlacklistAction.choices,
                              default=BlacklistAction.WARN)
    report_count = models.PositiveIntegerField(_("reports"), default=0)
    active = models.BooleanField(_("blacklisted"), default=False, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("reported by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    activated_at = models.DateTimeField(_("blacklisted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("blacklist entry")
        verbose_name_plural = _("blacklist")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number


class BlacklistReport(models.Model):
    """One report of a number by an agent or supervisor."""

    entry = models.ForeignKey(BlacklistEntry, on_delete=models.CASCADE, related_name="reports",
                              verbose_name=_("entry"))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("reported by"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("blacklist report")
        verbose_name_plural = _("blacklist reports")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.entry.number} {self.at:%Y-%m-%d %H:%M}"


class CareTask(models.Model):
    """A greeting call an agent makes to a customer of a care list (an order task needs an order; a
    birthday call has none)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="care_tasks",
                                 verbose_name=_("customer"))
    care_list = models.ForeignKey("crm.CareList", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="tasks", verbose_name=_("care list"))
    script = models.CharField(_("what to say"), max_length=500)
    status = models.CharField(_("status"), max_length=4, choices=Status.choices, default=Status.OPEN, db_index=True)
    outcome_note = models.CharField(_("outcome note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("done by"))

    class Meta:
        verbose_name = _("care call")
        verbose_name_plural = _("care calls")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.customer} {self.get_status_display()}"


# Import at the end: the care and points models refer to Customer above.
from hotline.crm.care_models import (  # noqa: E402, F401
    Birthdays,
    CareCriteria,
    CareList,
    CareListEntry,
    GreetChannel,
    GreetingRule,
    PointsEntry,
    PointsKind,
    PointsReward,
    Promotion,
    PromotionKind,
)
