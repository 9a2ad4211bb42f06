"""Products, their suppliers, gift rules (赠品) and cross-sell suggestions (搭销)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from pypinyin import Style, pinyin

from hotline.lib.text import check_text_lengths

MONEY = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(0)]}


class Supplier(models.Model):
    """A company we buy products from, with its contact person."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    contact_name = models.CharField(_("contact"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        check_text_lengths(self)


class SaleStatus(models.TextChoices):
    ON_SALE = "on_sale", _("On sale")
    PAUSED = "paused", _("Paused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


MAX_PINYIN_VARIANTS = 8


def pinyin_initials(text: str) -> str:
    """`颈椎按摩仪` -> `jcamy jzamy gcamy gzamy`: the initials agents type to find a product fast.

    Characters with several readings (椎 chuí/zhuī, 长 cháng/zhǎng) give one variant per reading, most
    common first, space-separated and capped, because an agent types the reading they know.
    Latin letters and digits stay as they are.
    """
    per_char = pinyin(text, style=Style.FIRST_LETTER, heteronym=True, errors="default")
    choices = [[c.lower().replace(" ", "") for c in dict.fromkeys(readings) if c.strip()] for readings in per_char]
    variants = ("".join(combo) for combo in itertools.product(*[c for c in choices if c]))
    return " ".join(itertools.islice(variants, MAX_PINYIN_VARIANTS))[:255]


class Product(models.Model):
    """Something we sell on air. Only products on sale can be ordered; withdrawn ones vanish from entry."""

    sku = models.CharField(_("SKU"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    short_code = models.CharField(_("short code"), max_length=16, unique=True,
                                  validators=[RegexValidator(r"^[0-9A-Za-z]+$", _("Letters and digits only."))],
                                  help_text=_("What an agent types to pick the product, e.g. 101."))
    pinyin = models.CharField(_("pinyin initials"), max_length=255, editable=False)
    price = models.DecimalField(_("price"), **MONEY)  # type: ignore[arg-type]
    cost = models.DecimalField(_("cost"), **MONEY, default=0)  # type: ignore[arg-type]
    status = models.CharField(_("sale status"), max_length=16, choices=SaleStatus.choices,
                              default=SaleStatus.ON_SALE, db_index=True)
    track_stock = models.BooleanField(_("track stock"), default=False)
    stock = models.IntegerField(_("stock"), null=True, blank=True, validators=[MinValueValidator(0)])
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="products", verbose_name=_("supplier"))
    points = models.PositiveIntegerField(_("points earned"), default=0)
    # for freight and packing: the parcel's weight is the heavier of the real and the volumetric weight
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=8, decimal_places=3, default=Decimal("0.5"),
                                    validators=[MinValueValidator(0)])
    volume_cm3 = models.PositiveIntegerField(_("volume (cm³)"), default=0)
    location = models.CharField(_("warehouse location"), max_length=20, blank=True,
                                help_text=_("Where pickers find it, e.g. A-03-2."))
    low_stock = models.PositiveIntegerField(_("low-stock warning at"), default=0,
                                            help_text=_("Warn agents and logistics when stock falls to this."))
    description = models.TextField(_("description"), blank=True, max_length=5000)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["short_code"]

    def __str__(self) -> str:
        return f"{self.short_code} {self.name}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.pinyin = pinyin_initials(self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def orderable(self) -> bool:
        return self.status == SaleStatus.ON_SALE

    def clean(self) -> None:
        check_text_lengths(self)
        if self.price is not None and self.price <= 0:
            raise ValidationError({"price": _("The price must be greater than zero.")})
        if self.track_stock and self.stock is None:
            raise ValidationError({"stock": _("Enter the stock of a product whose stock is tracked.")})


class GiftRule(models.Model):
    """Buy `buy_quantity` of a product, get `gift_quantity` of the gift free (per full multiple if `repeat`)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="gift_rules",
                                verbose_name=_("product"))
    buy_quantity = models.PositiveIntegerField(_("buy quantity"), default=1, validators=[MinValueValidator(1)])
    gift = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("gift"))
    gift_quantity = models.PositiveIntegerField(_("gift quantity"), default=1, validators=[MinValueValidator(1)])
    repeat = models.BooleanField(_("per multiple"), default=True,
                                 help_text=_("Buy 2 get 1: buying 4 gives 2 gifts when checked."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("gift rule")
        verbose_name_plural = _("gift rules")

    def __str__(self) -> str:
        return f"{self.product.name} ×{self.buy_quantity} → {self.gift.name} ×{self.gift_quantity}"

    def gifts_for(self, quantity: int) -> int:
        """How many gifts an order line of `quantity` earns under this rule."""
        if not self.active or quantity < self.buy_quantity:
            return 0
        multiples = quantity // self.buy_quantity if self.repeat else 1
        return multiples * self.gift_quantity


class CrossSell(models.Model):
    """A product to suggest while another is ordered (搭销), at its own offer price."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="cross_sells",
                                verbose_name=_("product"))
    suggestion = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+",
                                   verbose_name=_("suggestion"))
    offer_price = models.DecimalField(_("offer price"), **MONEY)  # type: ignore[arg-type]
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("cross-sell")
        verbose_name_plural = _("cross-sells")
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["product", "suggestion"], name="crosssell_unique_pair")]

    def __str__(self) -> str:
        return f"{self.product.name} + {self.suggestion.name} @ {self.offer_price}"

    def clean(self) -> None:
        if self.product_id and self.product_id == self.suggestion_id:
            raise ValidationError(_("A product cannot be suggested with itself."))
