"""What the API reads and writes. Input schemas document the limits the actions enforce; output
schemas are read from the models, with fields some roles may not see left out for them."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from ninja import Field, Path, Schema
from pydantic import (
    AfterValidator,
    ConfigDict,
    StrictBool,
    StrictInt,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from hotline.accounts.permissions import Perm
from hotline.api.auth import may
from hotline.catalog.models import SaleStatus
from hotline.crm.models import Channel, Credit, Gender, Level
from hotline.lib.phones import PhoneInfo, normalize_phone
from hotline.orders.actions import OrderInput
from hotline.orders.models import DeliveryMethod, PaymentMethod, Status
from hotline.orders.pricing import MAX_LINES, MAX_QUANTITY, LineInput
from hotline.orders.transitions import allowed_next

# ---------------------------------------------------------------- shared pieces


def _normal_phone(value: str) -> str:
    try:
        return normalize_phone(value)
    except DjangoValidationError as exc:
        raise PydanticCustomError("phone", "{message}", {"message": exc.messages[0]}) from exc


PHONE_PATTERN = r"^[+＋(（]?[0-9０-９][0-9０-９ ()（）\-－.·]{0,30}$"
PhoneNumber = Annotated[str, Field(min_length=1, max_length=32, pattern=PHONE_PATTERN,
                                   description="a Chinese mobile, landline or 400/800 number, digits with optional "
                                               "`+86`, spaces, dashes, dots and brackets; anything else is 422"),
                        AfterValidator(_normal_phone)]
"""A Chinese phone number in any notation; the API works with its normal form (`13800138000`)."""

# Database ids are 64-bit: a larger one cannot name a row, and would overflow the database driver.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
StrictId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
"""An id in a URL: out of range is 422, not a database overflow."""

# Dates the business can mean; beyond them the conversion to local midnight overflows Python's datetime.
FIRST_DAY = datetime.date(1900, 1, 1)
LAST_DAY = datetime.date(2100, 12, 31)
Day = Annotated[datetime.date, Field(ge=FIRST_DAY, le=LAST_DAY, description="from 1900-01-01 to 2100-12-31")]


def empty_if_null(value: Any) -> Any:
    """A text field that cannot be NULL in the database takes an explicit null as "clear it"."""
    return "" if value is None else value


class In(Schema):
    """Base of request bodies: unknown fields are refused (a typo in a PATCH must not pass silently)."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)


class Guarded(Schema):
    """An output with fields only some callers may see, named in `guarded` with their permission.

    They are left out of the response rather than nulled, so that a hidden settlement date cannot
    be read as "not settled yet".
    """

    guarded: ClassVar[dict[str, Perm]] = {}

    # Deliberately unannotated: an annotated wrap serializer replaces the schema in the OpenAPI document.
    @model_serializer(mode="wrap")
    def _leave_out_guarded(self, handler, info):
        data = handler(self)
        request = (info.context or {}).get("request")
        for name, perm in self.guarded.items():
            if request is None or not may(request, perm):
                data.pop(name, None)
        return data


class StationRef(Schema):
    """A TV station, briefly."""

    id: int
    code: str
    name: str
    channel: str


class ProductRef(Schema):
    """A product, briefly."""

    id: int
    sku: str
    short_code: str
    name: str


class CustomerRef(Schema):
    """A customer, briefly."""

    id: int
    name: str


# ---------------------------------------------------------------- customers


class PhoneOut(Schema):
    """One of a customer's numbers, with region and carrier derived offline from the number."""

    number: str
    kind: str = Field(description="mobile, landline or service")
    province: str
    city: str
    region: str = Field(description="`广东 深圳`; a municipality is named once")
    carrier: str
    is_primary: bool

    @staticmethod
    def resolve_region(obj: Any) -> str:
        return PhoneInfo(obj.number, obj.kind, obj.province, obj.city).region


class AddressOut(Schema):
    """A delivery address: as parsed into province / city / district, and as one line."""

    id: int
    recipient: str
    phone: str
    province: str
    city: str
    district: str
    detail: str
    postcode: str
    full_text: str
    is_default: bool


class CustomerOut(Schema):
    """A customer with all their numbers and addresses (what the screen pop shows)."""

    id: int
    name: str
    salutation: str = Field(description="`王先生` / `李女士`, for scripts")
    gender: Gender
    birthday: datetime.date | None
    birthday_lunar: bool
    next_birthday: datetime.date | None = Field(
        description="the next day (today included) the customer celebrates, by the lunar calendar if "
                    "`birthday_lunar`")
    level: Level
    member_no: str | None
    points: int
    credit: Credit
    credit_reason: str
    email: str
    fax: str
    notify_channel: Channel
    notes: str
    first_airing_id: int | None
    phones: list[PhoneOut]
    addresses: list[AddressOut]
    created_at: datetime.datetime
    updated_at: datetime.datetime


class CustomerIn(In):
    """A new customer. The first phone number becomes the primary one; `address` is free text,
    parsed into province / city / district. A number that already belongs to another customer
    is refused with 409 unless `allow_duplicate` (a shared family landline)."""

    name: str = Field(min_length=1, max_length=100)
    phones: list[str] = Field(max_length=10, description="in any notation: `138 0013 8000`, `+86…`")
    gender: Gender = Gender.UNKNOWN
    birthday: Day | None = None
    birthday_lunar: StrictBool = False
    level: Level = Level.NORMAL
    email: str = Field("", max_length=254)
    notify_channel: Channel = Channel.SMS
    notes: str = Field("", max_length=4000)
    address: str = Field("", max_length=300)
    member_no: str | None = Field(None, max_length=20)
    first_airing_id: StrictId | None = None
    allow_duplicate: StrictBool = False


def _no_defaults(schema: dict[str, Any]) -> None:
    """A PATCH field has no default: one left out is unchanged, not set to null."""
    for field in schema.get("properties", {}).values():
        field.pop("default", None)


class CustomerChangesIn(In):
    """The fields to change; fields left out stay as they are. Numbers and addresses are added
    with their own endpoints."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True, json_schema_extra=_no_defaults)

    # Left out means "unchanged"; fields that cannot be empty are not nullable (null is refused with 422).
    name: str = Field(None, min_length=1, max_length=100)  # type: ignore[assignment]
    gender: Gender = Field(None)  # type: ignore[assignment]
    birthday: Day | None = None
    birthday_lunar: StrictBool = Field(None)  # type: ignore[assignment]
    level: Level = Field(None)  # type: ignore[assignment]
    # Text that may be empty: null clears it, as "" does.
    email: Annotated[str | None, AfterValidator(empty_if_null)] = Field(None, max_length=254)
    fax: Annotated[str | None, AfterValidator(empty_if_null)] = Field(None, max_length=32)
    notify_channel: Channel = Field(None)  # type: ignore[assignment]
    notes: Annotated[str | None, AfterValidator(empty_if_null)] = Field(None, max_length=4000)
    credit: Credit = Field(None)  # type: ignore[assignment]
    credit_reason: Annotated[str | None, AfterValidator(empty_if_null)] = Field(None, max_length=200)
    member_no: str | None = Field(None, max_length=20)


class PhoneIn(In):
    """A number to add to a customer."""

    number: PhoneNumber
    allow_duplicate: StrictBool = False


class AddressIn(In):
    """A delivery address typed as free text; the recipient defaults to the customer."""

    text: str = Field(min_length=1, max_length=300)
    recipient: str = Field("", max_length=100)
    phone: PhoneNumber | None = None
    default: StrictBool = False


class CustomerFilter(Schema):
    """`q` matches part of a name, a member number, or (in any notation) a phone number."""

    q: str = Field("", max_length=100)
    phone: PhoneNumber | None = None
    level: Level | None = None
    credit: Credit | None = None


class LookupQuery(Schema):
    """The caller's number, in any notation."""

    phone: PhoneNumber


class LookupOut(Schema):
    """The screen pop: what is known about a number, and the customers who have it (newest first)."""

    phone: str = Field(description="the number in normal form")
    kind: str
    region: str
    carrier: str
    blacklist: str | None = Field(description="`warn` or `reject` for a blacklisted number, else null")
    customers: list[CustomerOut]


# ---------------------------------------------------------------- products


class GiftOut(Schema):
    """Buy `buy_quantity`, get `gift_quantity` of the gift free (per full multiple when `repeat`)."""

    gift: ProductRef
    buy_quantity: int
    gift_quantity: int
    repeat: bool


class CrossSellOut(Schema):
    """A product to suggest with this one (搭销), at its offer price."""

    suggestion: ProductRef
    offer_price: Decimal


class SupplierRef(Schema):
    """A supplier, briefly."""

    id: int
    name: str


class ProductOut(Guarded):
    """A product. `cost` is present only for callers who may see costs (`catalog.view_cost`)."""

    guarded = {"cost": Perm.VIEW_COST}

    id: int
    sku: str
    name: str
    short_code: str
    pinyin: str = Field(description="initials agents type to find it, e.g. `jzamy`")
    price: Decimal
    cost: Decimal | None = Field(None, description="only with `catalog.view_cost`")
    status: SaleStatus
    orderable: bool
    track_stock: bool
    stock: int | None
    points: int
    supplier: SupplierRef | None
    description: str
    gifts: list[GiftOut]
    cross_sells: list[CrossSellOut]

    @staticmethod
    def resolve_gifts(obj: Any) -> list[Any]:
        return [rule for rule in obj.gift_rules.all() if rule.active]


class ProductFilter(Schema):
    """`q` finds by short code, pinyin initials, name or SKU, best match first."""

    q: str = Field("", max_length=100)
    status: SaleStatus | None = None


# ---------------------------------------------------------------- airings


class AiringOut(Guarded):
    """One broadcast of a spot. `cost` is present only with `media.view_spend`."""

    guarded = {"cost": Perm.VIEW_SPEND}

    id: int
    station: StationRef
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    length_seconds: int
    product: ProductRef | None
    title: str
    cost: Decimal | None = Field(None, description="only with `media.view_spend`")


class AiringFilter(Schema):
    """Airings of one station (by code) and/or in a range of local days (inclusive)."""

    station: str | None = Field(None, max_length=32, description="station code, e.g. `hunan`")
    date: Day | None = Field(None, description="one local day; overrides date_from/date_to")
    date_from: Day | None = None
    date_to: Day | None = None
    product_id: Id | None = None


# ---------------------------------------------------------------- orders


class LineIn(In):
    """One product on an order. Prices come from the catalogue; a cross-sell line is priced at its
    offer price and needs the product that suggests it on the same order."""

    product_id: StrictId
    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY)
    discount: Decimal = Field(Decimal("0.00"), ge=0, max_digits=12, decimal_places=2,
                              description="in yuan, for the whole line")
    cross_sell: StrictBool = False

    def to_input(self) -> LineInput:
        return LineInput(product_id=self.product_id, quantity=self.quantity, discount=self.discount,
                         cross_sell=self.cross_sell)


class OrderChangesIn(In):
    """An unshipped order's new lines, delivery, payment and requests (replacing the old ones).
    Deliver to a saved address (`address_id`) or a typed one (`address_text`); self pickup needs neither."""

    lines: list[LineIn] = Field(max_length=MAX_LINES)
    delivery_method: DeliveryMethod = DeliveryMethod.EMS
    payment_method: PaymentMethod = PaymentMethod.COD
    address_id: StrictId | None = None
    address_text: str = Field("", max_length=300)
    recipient: str = Field("", max_length=100)
    recipient_phone: str = Field("", max_length=32)
    invoice_title: str = Field("", max_length=100)
    invoice_tax_id: str = Field("", max_length=20)
    rush: StrictBool = False
    notes: str = Field("", max_length=1000)

    def to_input(self, customer_id: int) -> OrderInput:
        fields = self.model_dump(exclude={"lines", "customer_id"})
        return OrderInput(customer_id=customer_id, lines=[line.to_input() for line in self.lines], **fields)


class OrderIn(OrderChangesIn):
    """A new order. `hotline_number` is the number the customer dialled: it attributes the order to
    the airing that caused the call. Totals, gifts and points are computed by the server."""

    customer_id: StrictId
    hotline_number: str = Field("", max_length=32)
    call_id: str = Field("", max_length=64)
    redeem_points: StrictInt = Field(0, ge=0, description="points the customer spends on this order")
    reward_id: StrictId | None = Field(None, description="a gift for points the customer takes")

    def to_order_input(self) -> OrderInput:
        return self.to_input(self.customer_id)


class TransitionIn(In):
    """A status change. Cancelling, refusal and returns need a reason; exchanges have their own endpoint."""

    to: Status
    reason: str = Field("", max_length=300)

    @field_validator("to")
    @classmethod
    def _not_exchange(cls, value: str) -> str:
        if value == Status.EXCHANGED:
            raise PydanticCustomError("exchange", "{message}", {"message": _(
                "Exchanges have their own endpoint, POST /api/orders/<number>/exchange, which creates the "
                "replacement order.")})
        return value


class ExchangeIn(In):
    """Exchange a delivered order: the replacement is free and has the same goods unless `lines` are given."""

    reason: str = Field(min_length=1, max_length=300)
    lines: list[LineIn] | None = Field(None, max_length=MAX_LINES)


class LineOut(Schema):
    """A line of an order. Gifts have price 0 and name the line that earned them in `gift_of`."""

    id: int
    product: ProductRef
    quantity: int
    unit_price: Decimal
    discount: Decimal
    line_total: Decimal
    is_gift: bool
    gift_of: int | None = Field(description="id of the line that earned this gift")
    is_cross_sell: bool

    @staticmethod
    def resolve_gift_of(obj: Any) -> int | None:
        return obj.gift_of_id  # type: ignore[no-any-return]


class TotalsOut(Schema):
    """Computed by the server from the lines: total = subtotal − discount_total."""

    subtotal: Decimal
    discount_total: Decimal
    total: Decimal
    points: int


class DeliveryOut(Schema):
    """Where the parcel goes, as copied into the order when it was placed."""

    method: DeliveryMethod
    recipient: str
    recipient_phone: str
    province: str
    city: str
    district: str
    address_detail: str
    postcode: str
    address_text: str


class AttributionOut(Schema):
    """The number the customer dialled and the airing that caused the call, if any."""

    hotline_number: str | None
    station: StationRef | None
    airing_id: int | None
    airing_starts_at: datetime.datetime | None
    call_id: str


class HistoryOut(Schema):
    """One step of the order's life."""

    from_status: str
    to_status: Status
    by: str | None = Field(description="username of who made the change; null for the system")
    reason: str
    at: datetime.datetime

    @staticmethod
    def resolve_by(obj: Any) -> str | None:
        return obj.actor.get_username() if obj.actor_id else None


class OrderOut(Guarded):
    """An order with its lines, totals, attribution and history. `settled_at` and `settled_amount`
    are present only for callers with `orders.view_settlement`."""

    guarded = {"settled_at": Perm.VIEW_SETTLEMENT, "settled_amount": Perm.VIEW_SETTLEMENT}

    number: str
    status: Status
    status_display: str
    next_statuses: list[Status] = Field(description="statuses this order may move to, permissions aside "
                                                    "(`exchanged` through POST …/exchange)")
    customer: CustomerRef
    lines: list[LineOut]
    totals: TotalsOut
    delivery: DeliveryOut
    payment_method: PaymentMethod
    attribution: AttributionOut
    invoice_title: str
    invoice_tax_id: str
    rush: bool
    notes: str
    agent: str | None
    replaces: str | None = Field(description="number of the order this one replaces (exchanges)")
    replaced_by: list[str]
    history: list[HistoryOut]
    created_at: datetime.datetime
    updated_at: datetime.datetime
    settled_at: datetime.datetime | None = Field(None, description="only with `orders.view_settlement`")
    settled_amount: Decimal | None = Field(None, description="only with `orders.view_settlement`")

    @staticmethod
    def resolve_status_display(obj: Any) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_next_statuses(obj: Any) -> list[str]:
        return allowed_next(obj.status)

    @staticmethod
    def resolve_totals(obj: Any) -> Any:
        return obj

    @staticmethod
    def resolve_delivery(obj: Any) -> dict[str, Any]:
        return {"method": obj.delivery_method, "recipient": obj.recipient, "recipient_phone": obj.recipient_phone,
                "province": obj.province, "city": obj.city, "district": obj.district,
                "address_detail": obj.address_detail, "postcode": obj.postcode, "address_text": obj.address_text}

    @staticmethod
    def resolve_attribution(obj: Any) -> dict[str, Any]:
        airing = obj.airing
        return {"hotline_number": obj.hotline_number.number if obj.hotline_number_id else None,
                "station": airing.station if airing else None, "airing_id": obj.airing_id,
                "airing_starts_at": airing.starts_at if airing else None, "call_id": obj.call_id}

    @staticmethod
    def resolve_agent(obj: Any) -> str | None:
        return obj.agent.get_username() if obj.agent_id else None

    @staticmethod
    def resolve_replaces(obj: Any) -> str | None:
        return obj.replaces.number if obj.replaces_id else None

    @staticmethod
    def resolve_replaced_by(obj: Any) -> list[str]:
        return [order.number for order in obj.replacements.all()]


class OrderFilter(Schema):
    """Orders matching all the given filters, newest first. Days are local days, inclusive."""

    status: Status | None = None
    customer_id: Id | None = None
    phone: PhoneNumber | None = Field(None, description="orders of the customers who have this number")
    airing_id: Id | None = None
    hotline_number: PhoneNumber | None = None
    date_from: Day | None = None
    date_to: Day | None = None


class StatusQuery(Schema):
    """Exactly one of an order number or a phone number."""

    number: str | None = Field(None, max_length=24)
    phone: PhoneNumber | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> StatusQuery:
        if (self.number is None) == (self.phone is None):
            raise PydanticCustomError("one_of", "{message}", {"message": _(
                "Give either an order number or a phone number.")})
        return self


class OrderStatusOut(Schema):
    """What customer service reads out to a caller asking "where is my order?"."""

    number: str
    status: Status
    status_display: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    total: Decimal
    payment_method: PaymentMethod
    delivery_method: DeliveryMethod
    recipient: str
    address_text: str
    history: list[HistoryOut]

    @staticmethod
    def resolve_status_display(obj: Any) -> str:
        return str(obj.get_status_display())
