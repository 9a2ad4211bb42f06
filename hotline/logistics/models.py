"""Couriers and where they deliver at what price, shipments and their tracking events, dispatch batches,
printed forms, returns received at the warehouse, the stock ledger, and follow-up tasks for agents.

Money fields are `Decimal` yuan; finance reconciles remittances against `Shipment.cod_due` / `cod_fee`.
Written only by `hotline.logistics.actions`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.calls.models import AppendOnly

MONEY = {"max_digits": 12, "decimal_places": 2}
KG = {"max_digits": 8, "decimal_places": 3}


class CourierKind(models.TextChoices):
    EMS = "ems", _("EMS")
    POST = "post", _("China Post parcel")  # 邮政包裹
    EXPRESS = "express", _("Express company")  # 快递
    CITY = "city", _("City delivery company")  # 落地配
    OWN = "own", _("Own fleet")


class Courier(models.Model):
    """A company (or our own fleet) that carries parcels, with its cash-on-delivery terms.

    `code` names the courier in files, the push API and form templates. The push API authenticates a
    courier by `api_key` and checks an HMAC-SHA256 of the body with `api_secret`."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=CourierKind.choices)
    cod_supported = models.BooleanField(_("cash on delivery"), default=True)
    cod_max = models.DecimalField(_("largest COD amount"), **MONEY, null=True, blank=True,  # type: ignore[arg-type]
                                  help_text=_("Empty: no limit."))
    cod_fee_percent = models.DecimalField(_("COD fee (%)"), max_digits=5, decimal_places=2, default=Decimal("0"))
    cod_fee_min = models.DecimalField(_("smallest COD fee"), **MONEY, default=Decimal("0"))  # type: ignore[arg-type]
    # what a refused parcel costs to bring back, as a share of the outbound freight
    # xgettext:no-python-format
    return_freight_percent = models.DecimalField(_("return freight (% of freight)"), max_digits=5,
                                                 decimal_places=2, default=Decimal("100"))
    contact_name = models.CharField(_("contact"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    active = models.BooleanField(_("active"), default=True)
    form_template = models.ForeignKey("FormTemplate", on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="couriers", verbose_name=_("shipping form"))
    # {"tracking_number": "运单号", "status": "状态", ...}: the courier's feedback file headers, saved once
    feedback_columns = models.JSONField(_("feedback file columns"), default=dict, blank=True)
    api_key = models.CharField(_("API key"), max_length=40, unique=True, null=True, blank=True)
    api_secret = models.CharField(_("API secret"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("courier")
        verbose_name_plural = _("couriers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FeeRate(models.Model):
    """A courier's price for one zone: the first `first_weight_kg`, then each started `step_kg`."""

    courier = models.ForeignKey(Courier, on_delete=models.CASCADE, related_name="fee_rates",
                                verbose_name=_("courier"))
    zone = models.CharField(_("zone"), max_length=20)
    first_weight_kg = models.DecimalField(_("first weight (kg)"), **KG, default=Decimal("1"))  # type: ignore[arg-type]
    first_fee = models.DecimalField(_("first weight fee"), **MONEY)  # type: ignore[arg-type]
    step_kg = models.DecimalField(_("each extra (kg)"), **KG, default=Decimal("0.5"))  # type: ignore[arg-type]
    step_fee = models.DecimalField(_("fee per extra step"), **MONEY)  # type: ignore[arg-type]

    class Meta:
        verbose_name = _("fee rate")
        verbose_name_plural = _("fee rates")
        ordering = ["courier", "zone"]
        constraints = [models.UniqueConstraint(fields=["courier", "zone"], name="feerate_unique_zone")]

    def __str__(self) -> str:
        return f"{self.courier} {self.zone}"


class Coverage(models.Model):
    """Where a courier delivers: a province, a city in it, or a district in that (blank = all of it).

    The most specific row matching an address wins. Names are in the orders' normal form
    (`hotline.lib.addresses.parse_address`): short province `广东`, city without 市 `深圳`, district `南山区`;
    municipalities repeat the province as the city (`北京`, `北京`, `朝阳区`)."""

    courier = models.ForeignKey(Courier, on_delete=models.CASCADE, related_name="coverage",
                                verbose_name=_("courier"))
    province = models.CharField(_("province"), max_length=20)
    city = models.CharField(_("city"), max_length=30, blank=True)
    district = models.CharField(_("district"), max_length=30, blank=True)
    cod_allowed = models.BooleanField(_("cash on delivery"), default=True)
    delivery_days = models.PositiveSmallIntegerField(_("delivery days"), default=3)
    zone = models.CharField(_("zone"), max_length=20)

    class Meta:
        verbose_name = _("coverage")
        verbose_name_plural = _("coverage")
        ordering = ["courier", "province", "city", "district"]
        constraints = [models.UniqueConstraint(fields=["courier", "province", "city", "district"],
                                               name="coverage_unique_area")]
        indexes = [models.Index(fields=["province", "city"], name="coverage_area")]

    def __str__(self) -> str:
        return f"{self.courier}: {self.province}{self.city}{self.district}"


class FormKind(models.TextChoices):
    EMS = "ems", _("EMS waybill")  # EMS 快递单
    POST = "post", _("Post parcel form")  # 邮政 邮购单/包裹单
    DELIVERY_NOTE = "note", _("Delivery note")  # 送货单
    LABEL_100x150 = "label150", _("Thermal label 100×150 mm")  # 电子面单
    LABEL_100x180 = "label180", _("Thermal label 100×180 mm")


class FormTemplate(models.Model):
    """A printed shipping form as data, so a company can calibrate it to its printer and pre-printed forms.

    `fields` is a list of {"field": "recipient", "x": 20, "y": 35, "size": 10, "width": 60, "type": "text"}
    in millimetres from the top-left corner; type is text, amount_words, barcode or qr. `offset_*` shift
    the whole form (printer calibration)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=FormKind.choices)
    page_width_mm = models.DecimalField(_("page width (mm)"), max_digits=6, decimal_places=1)
    page_height_mm = models.DecimalField(_("page height (mm)"), max_digits=6, decimal_places=1)
    offset_x_mm = models.DecimalField(_("offset right (mm)"), max_digits=5, decimal_places=1, default=Decimal("0"))
    offset_y_mm = models.DecimalField(_("offset down (mm)"), max_digits=5, decimal_places=1, default=Decimal("0"))
    # pre-printed forms get only the data; blank paper and thermal labels also get the frame and captions
    draw_frame = models.BooleanField(_("print frame and captions"), default=True)
    fields = models.JSONField(_("fields"), default=list)

    class Meta:
        verbose_name = _("shipping form")
        verbose_name_plural = _("shipping forms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BatchStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PRINTED = "printed", _("Printed")
    SHIPPED = "shipped", _("Shipped")


class DispatchBatch(models.Model):
    """Reviewed orders grouped for one courier (分检), printed and handed over together."""

    number = models.CharField(_("batch number"), max_length=24, unique=True)
    courier = models.ForeignKey(Courier, on_delete=models.PROTECT, related_name="batches",
                                verbose_name=_("courier"))
    status = models.CharField(_("status"), max_length=8, choices=BatchStatus.choices, default=BatchStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("dispatch batch")
        verbose_name_plural = _("dispatch batches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to ship")  # 待发货: courier chosen at review
    SHIPPED = "shipped", _("Shipped")
    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out", _("Out for delivery")
    DELIVERED = "delivered", _("Delivered")
    REFUSED = "refused", _("Refused")
    RETURNING = "returning", _("Returning")
    RETURNED = "returned", _("Returned")
    LOST = "lost", _("Lost")
    CANCELLED = "cancelled", _("Cancelled")


# A shipment in these states is over: no event moves it any more.
FINAL_SHIPMENT_STATUSES = frozenset({ShipmentStatus.RETURNED, ShipmentStatus.LOST, ShipmentStatus.CANCELLED})


class Shipment(models.Model):
    """One parcel of an order, from the courier choice at review to delivery, refusal or return.

    Stores what finance reconciles to the fen: courier, tracking number, freight, COD due and COD fee,
    and when it was delivered or refused. `choice_reason` explains the automatic choice in words."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="shipments",
                              verbose_name=_("order"))
    courier = models.ForeignKey(Courier, on_delete=models.PROTECT, related_name="shipments",
                                verbose_name=_("courier"))
    runner_up = models.ForeignKey(Courier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                  verbose_name=_("runner-up"))
    choice_reason = models.CharField(_("why this courier"), max_length=300, blank=True)
    overridden = models.BooleanField(_("chosen by hand"), default=False)
    batch = models.ForeignKey(DispatchBatch, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="shipments", verbose_name=_("batch"))
    status = models.CharField(_("status"), max_length=10, choices=ShipmentStatus.choices,
                              default=ShipmentStatus.PENDING, db_index=True)
    # NULL until scanned: the unique constraint must ignore parcels without a number yet
    tracking_number = models.CharField(_("tracking number"), max_length=40, null=True, blank=True)  # noqa: DJ001
    weight_kg = models.DecimalField(_("weight (kg)"), **KG, default=Decimal("0"))  # type: ignore[arg-type]
    zone = models.CharField(_("zone"), max_length=20, blank=True)
    freight = models.DecimalField(_("freight"), **MONEY, default=Decimal("0"))  # type: ignore[arg-type]
    cod_due = models.DecimalField(_("COD amount due"), **MONEY, default=Decimal("0"))  # type: ignore[arg-type]
    cod_fee = models.DecimalField(_("COD fee"), **MONEY, default=Decimal("0"))  # type: ignore[arg-type]
    return_freight = models.DecimalField(_("return freight"), **MONEY, default=Decimal("0"))  # type: ignore[arg-type]
    delivery_days = models.PositiveSmallIntegerField(_("delivery days"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    refused_at = models.DateTimeField(_("refused at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    refusal_reason = models.CharField(_("refusal reason"), max_length=200, blank=True)
    last_event_at = models.DateTimeField(_("last event at"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tracking_number"], name="shipment_unique_tracking"),
            # one live parcel per order; cancelled and returned ones may be followed by a new one
            models.UniqueConstraint(fields=["order"], name="shipment_one_live_per_order",
                                    condition=~models.Q(status__in=["cancelled", "returned", "lost"])),
        ]
        indexes = [
            models.Index(fields=["courier", "status"], name="shipment_courier_status"),
            # an order's parcels with what the finance receivables read of them, so that they never read the
            # table (a plain composite index: Django's `include` is PostgreSQL-only; docs/benchmarks.md)
            models.Index(fields=["order", "status", "cod_due", "delivered_at", "courier"],
                         name="shipment_order_receivable"),
        ]

    def __str__(self) -> str:
        return f"{self.courier} {self.tracking_number or '—'}"


class EventKind(models.TextChoices):
    PICKED_UP = "picked_up", _("Picked up")  # 揽收
    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out", _("Out for delivery")  # 派送中
    DELIVERED = "delivered", _("Delivered")  # 签收
    REFUSED = "refused", _("Refused")  # 拒收
    UNREACHABLE = "unreachable", _("Customer unreachable")
    HELD = "held", _("Held at depot")  # 滞留
    ADDRESS_CHANGE = "address", _("Address changed")  # 改地址
    RETURNING = "returning", _("Returning to sender")  # 退回
    RETURNED = "returned", _("Returned to warehouse")
    LOST = "lost", _("Lost")  # 丢失


class EventSource(models.TextChoices):
    SCAN = "scan", _("Warehouse scan")
    IMPORT = "import", _("Feedback file")
    PUSH = "push", _("Courier push API")
    MANUAL = "manual", _("By hand")


class ShipmentEvent(AppendOnly):
    """One tracking event of a parcel, appended once. (shipment, kind, at) is unique, so the same event
    pushed or imported twice is stored once."""

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="events",
                                 verbose_name=_("shipment"))
    kind = models.CharField(_("event"), max_length=12, choices=EventKind.choices)
    at = models.DateTimeField(_("time"))
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=EventSource.choices)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))

    class Meta:
        verbose_name = _("shipment event")
        verbose_name_plural = _("shipment events")
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["shipment", "kind", "at"], name="shipmentevent_once")]

    def __str__(self) -> str:
        return f"{self.shipment}: {self.get_kind_display()}"


class PrintKind(models.TextChoices):
    FORMS = "forms", _("Shipping forms")
    PICK_LIST = "pick", _("Pick list")  # 拣货单
    PACKING = "packing", _("Packing lists")


class PrintLog(AppendOnly):
    """A document printed for a batch; a second print of the same kind is a reprint."""

    batch = models.ForeignKey(DispatchBatch, on_delete=models.PROTECT, related_name="prints",
                              verbose_name=_("batch"))
    kind = models.CharField(_("document"), max_length=8, choices=PrintKind.choices)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    reprint = models.BooleanField(_("reprint"), default=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                              verbose_name=_("by"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("print")
        verbose_name_plural = _("prints")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.batch} {self.get_kind_display()}"


class MovementKind(models.TextChoices):
    RECEIVED = "received", _("Received")
    SHIPPED = "shipped", _("Shipped")
    RETURNED = "returned", _("Returned")
    WRITTEN_OFF = "written_off", _("Written off")
    ADJUSTED = "adjusted", _("Adjusted")


class StockMovement(AppendOnly):
    """One change of the goods on the shelf, appended once: stock on hand is the sum of `quantity`.

    `Product.stock` stays what the desk may still sell (on hand minus what unshipped orders hold):
    receipts, adjustments and restocked returns move both; shipping moves only this ledger, because the
    order took its units from `Product.stock` when it was placed."""

    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="movements",
                                verbose_name=_("product"))
    kind = models.CharField(_("kind"), max_length=12, choices=MovementKind.choices)
    quantity = models.IntegerField(_("quantity"))
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("order"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["product", "at"], name="movement_product_at")]

    def __str__(self) -> str:
        return f"{self.product} {self.quantity:+d} ({self.get_kind_display()})"


class Condition(models.TextChoices):
    GOOD = "good", _("Good")
    DAMAGED = "damaged", _("Damaged")
    MISSING = "missing", _("Missing")


class ReturnReceipt(models.Model):
    """Returned goods received at the warehouse for one order: what came back in which condition."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="return_receipts",
                              verbose_name=_("order"))
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="return_receipts", verbose_name=_("shipment"))
    return_freight = models.DecimalField(_("return freight"), **MONEY, default=Decimal("0"))  # type: ignore[arg-type]
    note = models.CharField(_("note"), max_length=300, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                    related_name="+", verbose_name=_("received by"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("return receipt")
        verbose_name_plural = _("return receipts")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.order} {self.received_at:%Y-%m-%d}"


class ReturnLine(models.Model):
    """Units of one order line that came back, in one condition (good ones are restocked)."""

    receipt = models.ForeignKey(ReturnReceipt, on_delete=models.CASCADE, related_name="lines",
                                verbose_name=_("return receipt"))
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("order line"))
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    condition = models.CharField(_("condition"), max_length=8, choices=Condition.choices)

    class Meta:
        verbose_name = _("returned goods")
        verbose_name_plural = _("returned goods")

    def __str__(self) -> str:
        return f"{self.order_line} ×{self.quantity} {self.get_condition_display()}"


class TaskKind(models.TextChoices):
    RESCUE = "rescue", _("Rescue a refused parcel")  # 拒收挽回
    CONFIRM = "confirm", _("Confirm a risky COD order")
    FIX = "fix", _("Fix an order sent back at review")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class TaskOutcome(models.TextChoices):
    REDELIVER = "redeliver", _("Deliver again")
    ADDRESS = "address", _("New address")
    CONFIRMED = "confirmed", _("Confirmed, ship it")
    FIXED = "fixed", _("Order corrected")
    CANCEL = "cancel", _("Cancel the order")
    UNREACHED = "unreached", _("Could not reach the customer")


class OrderTask(models.Model):
    """A call an agent must make about an order, on the desk's worklist: rescue a refused parcel before it
    is sent back, confirm a risky cash-on-delivery order before shipping, or fix an order review sent back.
    Urgent ones come first; the order's own agent sees it first, everyone with the permission can take it."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="tasks",
                              verbose_name=_("order"))
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks",
                                 verbose_name=_("shipment"))
    kind = models.CharField(_("kind"), max_length=8, choices=TaskKind.choices)
    reason = models.CharField(_("reason"), max_length=300)
    urgent = models.BooleanField(_("urgent"), default=False)
    status = models.CharField(_("status"), max_length=6, choices=TaskStatus.choices, default=TaskStatus.OPEN,
                              db_index=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="order_tasks", verbose_name=_("for"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=TaskOutcome.choices, blank=True)
    outcome_note = models.CharField(_("outcome note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("done by"))

    class Meta:
        verbose_name = _("order task")
        verbose_name_plural = _("order tasks")
        ordering = ["-urgent", "created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["order", "kind"], condition=models.Q(status="open"),
                                               name="ordertask_one_open_per_kind")]

    def __str__(self) -> str:
        return f"{self.order} {self.get_kind_display()}"
