"""Every write on orders: place (the desk's and the API's one front door), create, edit before shipping,
status transitions, exchanges.

Totals are always computed from the catalogue (`hotline.orders.pricing`); prices sent by a client are never
trusted.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.accounts.audit import record, snapshot, user_or_none
from hotline.accounts.permissions import Perm, require_perm
from hotline.calls.models import Callback, CallRecord
from hotline.catalog.models import Product
from hotline.crm.actions import CustomerData, do_create_customer
from hotline.crm.models import Address, Customer
from hotline.crm.points import (
    earn_for_order,
    redeem_for_order,
    redeemed_on,
    refund_for_order,
    reward_on,
    reward_points_on,
    take_back_for_order,
)
from hotline.lib.addresses import parse_address
from hotline.lib.bus import publish_on_commit
from hotline.lib.errors import field_errors
from hotline.lib.money import ZERO
from hotline.lib.phones import normalize_phone
from hotline.media.models import HotlineNumber
from hotline.media.queries import attribute
from hotline.notify.actions import customer_message, queue_notification
from hotline.orders.models import (
    DeliveryMethod,
    Order,
    OrderLine,
    OrderStatusChange,
    PaymentMethod,
    Status,
)
from hotline.orders.numbering import next_order_number
from hotline.orders.pricing import LineInput, Quote, quote_for, validate_lines
from hotline.orders.queries import check_can_change_order
from hotline.orders.transitions import REASON_REQUIRED, required_perm


class OrderTransitionError(ValidationError):
    """A status change the lifecycle does not allow."""


@dataclass
class OrderInput:
    """Everything an agent (or the API) sends to place or edit an order."""

    customer_id: int | None  # None when placing for a new customer (see PlaceOrderInput)
    lines: list[LineInput]
    delivery_method: str = DeliveryMethod.EMS
    payment_method: str = PaymentMethod.COD
    address_id: int | None = None
    address_text: str = ""
    recipient: str = ""
    recipient_phone: str = ""
    hotline_number: str = ""
    call_id: str = ""
    invoice_title: str = ""
    invoice_tax_id: str = ""
    rush: bool = False
    notes: str = ""
    # When the call came in: attribution looks for the airing running then, not when the agent
    # submits (a caller from the last minute of a spot may be served long after the window closed).
    called_at: datetime.datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # points the customer spends on this order, worth `points_value(redeem_points)` off (hotline.crm.points)
    redeem_points: int = 0
    reward_id: int | None = None  # a gift taken for points (crm.PointsReward)


STATUS_MESSAGES = {
    Status.ORDERED: gettext_lazy("%(salutation)s, your order %(number)s for ¥%(total)s has been received. "
                                 "We will ship it soon."),
    Status.REVIEWED: gettext_lazy("%(salutation)s, your order %(number)s has been confirmed."),
    Status.SHIPPED: gettext_lazy("%(salutation)s, your order %(number)s has been shipped."),
    Status.DELIVERED: gettext_lazy("%(salutation)s, your order %(number)s has been delivered. Thank you!"),
    Status.CANCELLED: gettext_lazy("%(salutation)s, your order %(number)s has been cancelled."),
    Status.REFUSED: gettext_lazy("%(salutation)s, the parcel of order %(number)s was refused on delivery."),
    Status.RETURNED: gettext_lazy("%(salutation)s, the return of order %(number)s has been recorded."),
    Status.EXCHANGED: gettext_lazy("%(salutation)s, an exchange for order %(number)s is on its way: "
                                   "replacement order %(replacement)s."),
}


# ---------------------------------------------------------------- validation and lines

def _check_text_lengths(data: OrderInput) -> None:
    limits = {"notes": 1000, "invoice_title": 100, "invoice_tax_id": 20, "recipient": 100, "call_id": 64,
              "address_text": 300}
    errors = {name: _("At most %(max)d characters.") % {"max": limit}
              for name, limit in limits.items() if len(getattr(data, name) or "") > limit}
    if data.invoice_tax_id and not data.invoice_tax_id.isalnum():
        errors["invoice_tax_id"] = _("A taxpayer id has letters and digits only.")
    if data.delivery_method not in DeliveryMethod.values:
        errors["delivery_method"] = _("Unknown delivery method “%(value)s”.") % {"value": data.delivery_method}
    if data.payment_method not in PaymentMethod.values:
        errors["payment_method"] = _("Unknown payment method “%(value)s”.") % {"value": data.payment_method}
    if errors:
        raise ValidationError(errors)


def _build_lines(order: Order, lines: list[LineInput], *, gifts: bool = True, customer: Customer | None = None,
                 redeem_points: int = 0, reward_id: int | None = None, check_balance: bool = True) -> Quote:
    """Create the priced lines and the gifts they earn (unless `gifts` is off), with the customer's promotions
    and redeemed points in the discounts and the promotions' gifts as gift lines of their own; take stock;
    fill the order's totals."""
    quote = quote_for(lines, customer=customer, redeem_points=redeem_points, reward_id=reward_id, gifts=gifts,
                      check_balance=check_balance)
    for quoted in quote.lines:
        line = OrderLine.objects.create(order=order, product=quoted.product, quantity=quoted.quantity,
                                        unit_price=quoted.unit_price, discount=quoted.discount,
                                        line_total=quoted.amount, is_cross_sell=quoted.cross_sell)
        _take_stock(quoted.product, quoted.quantity)
        for gift in quoted.gifts:
            OrderLine.objects.create(order=order, product=gift.product, quantity=gift.quantity, unit_price=ZERO,
                                     line_total=ZERO, is_gift=True, gift_of=line)
            _take_stock(gift.product, gift.quantity)
    for gift in quote.order_gifts:
        OrderLine.objects.create(order=order, product=gift.product, quantity=gift.quantity, unit_price=ZERO,
                                 line_total=ZERO, is_gift=True)
        _take_stock(gift.product, gift.quantity)
    order.subtotal, order.discount_total = quote.subtotal, quote.discount_total
    order.total, order.points = quote.total, quote.points
    return quote


def _take_stock(product: Product, quantity: int) -> None:
    if not product.track_stock:
        return
    taken = Product.objects.filter(pk=product.pk, stock__gte=quantity).update(stock=F("stock") - quantity)
    if not taken:
        product.refresh_from_db(fields=["stock"])
        raise ValidationError({"lines": _("Only %(stock)s of %(product)s left in stock.")
                               % {"stock": product.stock, "product": product.name}})


def _return_stock(order: Order) -> None:
    for line in order.lines.select_related("product"):
        if line.product.track_stock:
            Product.objects.filter(pk=line.product_id).update(stock=F("stock") + line.quantity)


# ---------------------------------------------------------------- delivery and attribution

def _apply_delivery(order: Order, data: OrderInput, customer: Customer) -> None:
    """Copy the chosen saved address, or parse the typed one, into the order."""
    if data.address_id:
        address = Address.objects.filter(pk=data.address_id, customer=customer).first()
        if address is None:
            raise ValidationError({"address_id": _("This address is not one of the customer's.")})
        order.province, order.city, order.district = address.province, address.city, address.district
        order.address_detail, order.postcode = address.detail, address.postcode
        order.recipient = data.recipient or address.recipient or customer.name
        order.recipient_phone = normalize_phone(data.recipient_phone or address.phone or customer.primary_phone())
        return
    if data.address_text.strip():
        parsed = parse_address(data.address_text)
        order.province, order.city, order.district = parsed.province, parsed.city, parsed.district
        order.address_detail = parsed.detail
    elif data.delivery_method != DeliveryMethod.PICKUP:
        raise ValidationError({"address_text": _("Enter a delivery address or pick a saved one.")})
    order.recipient = data.recipient or customer.name
    phone = data.recipient_phone or customer.primary_phone()
    if not phone:
        raise ValidationError({"recipient_phone": _("Enter the recipient's phone number.")})
    try:
        order.recipient_phone = normalize_phone(phone)
    except ValidationError as exc:
        raise ValidationError({"recipient_phone": exc.messages}) from exc


def _apply_attribution(order: Order, dnis: str, at: datetime.datetime | None) -> None:
    if not dnis:
        return
    try:
        number = normalize_phone(dnis)
    except ValidationError as exc:
        raise ValidationError({"hotline_number": exc.messages}) from exc
    hotline = HotlineNumber.objects.filter(number=number).first()
    if hotline is None:
        raise ValidationError({"hotline_number": _("%(number)s is not one of our hotline numbers.")
                               % {"number": number}})
    order.hotline_number = hotline
    order.airing = attribute(hotline, at or timezone.now())


_require = require_perm


def _notify(order: Order, status: str, **extra: object) -> None:
    message = customer_message(STATUS_MESSAGES[Status(status)], salutation=order.customer.salutation,
                               number=order.number, total=order.total, **extra)
    queue_notification(order.customer, subject=order.number, body=message, order=order)


# ---------------------------------------------------------------- actions

@dataclass
class NewCustomer:
    """A caller not yet on file, created with their first order; the order's typed address becomes theirs."""

    name: str
    phone: str = ""
    gender: str = "u"


@dataclass
class PlaceOrderInput:
    """An order as the desk or the API places it: for a customer on file (`order.customer_id`) or a new one
    created with it (`new_customer`), under an optional idempotency key (per user)."""

    order: OrderInput
    new_customer: NewCustomer | None = None
    idempotency_key: str = ""


MAX_IDEMPOTENCY_KEY = 100
# do_create_customer's field names → the placement's names for them, so errors name what the client sent
NEW_CUSTOMER_FIELDS = {"name": "new_customer.name", "phones": "new_customer.phone", "gender": "new_customer.gender"}


def order_fingerprint(data: OrderInput, new_customer: NewCustomer | None = None) -> str:
    """SHA-256 of what was asked for, to tell a retry of the same order from another order under the same key."""
    asked = asdict(data) if new_customer is None else {**asdict(data), "new_customer": asdict(new_customer)}
    canonical = json.dumps(asked, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replayed(existing: Order, fingerprint: str) -> tuple[Order, bool]:
    # Payment APIs answer a reused key with a different body as an error, not with the first result:
    # silently returning the first order would hide the second one from the agent.
    if existing.idempotency_fingerprint and existing.idempotency_fingerprint != fingerprint:
        raise ValidationError({"idempotency_key": _(
            "This Idempotency-Key was used for a different order; send a new key for a new order.")})
    return existing, False


def _keyed_order(actor: Any, key: str) -> Order | None:
    return Order.objects.filter(agent=actor, idempotency_key=key).first() if key else None


def do_place_order(data: PlaceOrderInput, *, actor: Any) -> tuple[Order, bool]:
    """Place an order from the desk or the API (one front door); returns (order, created).

    A new customer is created in the same transaction, so a refused order leaves none behind. An order
    taken on a call (`call_id`) the actor answered (or supervises) is attributed to the call's hotline
    number and arrival time, however long the agent took to submit. The same key from the same user returns
    the first order, even when both requests race; the same key with a different order is refused."""
    _require(actor, Perm.CREATE_ORDER)
    _check_placement(data, actor)
    order = _attributed_to_call(data.order, actor)
    fingerprint = order_fingerprint(data.order, data.new_customer) if data.idempotency_key else ""
    return _place(order, data.new_customer, actor=actor, key=data.idempotency_key, fingerprint=fingerprint)


def do_create_order(data: OrderInput, *, actor: Any, idempotency_key: str = "") -> tuple[Order, bool]:
    """Place an order for a customer on file exactly as given (no look-up of its call): imports, the demo's
    data, tests. Returns (order, created); idempotent per key as `do_place_order`."""
    fingerprint = order_fingerprint(data) if idempotency_key else ""
    return _place(data, None, actor=actor, key=idempotency_key, fingerprint=fingerprint)


def _place(data: OrderInput, new_customer: NewCustomer | None, *, actor: Any, key: str,
           fingerprint: str) -> tuple[Order, bool]:
    existing = _keyed_order(actor, key)
    if existing is not None:
        return _replayed(existing, fingerprint)
    try:
        with transaction.atomic():
            if new_customer is not None:
                data = replace(data, customer_id=_create_customer(new_customer, data, actor=actor).pk)
            return _create_order(data, actor=actor, idempotency_key=key or None, fingerprint=fingerprint), True
    except IntegrityError:
        existing = _keyed_order(actor, key)  # a racing twin request placed it first; its customer rolled back
        if existing is None:
            raise
        return _replayed(existing, fingerprint)


def _check_placement(data: PlaceOrderInput, actor: Any) -> None:
    """Refuse, all at once so the agent fixes everything in one go: no customer or two, an overlong key, a
    new customer without a name, bad text fields and bad lines; then a new customer from someone who may
    not add customers."""
    errors = _customer_and_key_errors(data)
    for check in (partial(_check_text_lengths, data.order), partial(validate_lines, data.order.lines)):
        try:
            check()
        except ValidationError as exc:
            errors.update(field_errors(exc))
    if errors:
        raise ValidationError(errors)
    if data.new_customer is not None:
        _require(actor, Perm.ADD_CUSTOMER)


def _customer_and_key_errors(data: PlaceOrderInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if data.order.customer_id is None and data.new_customer is None:
        errors["customer_id"] = [_("Choose the customer or enter a new one.")]
    elif data.order.customer_id is not None and data.new_customer is not None:
        errors["customer_id"] = [_("Choose the customer or enter a new one, not both.")]
    elif data.new_customer is not None and not data.new_customer.name.strip():
        errors["new_customer.name"] = [_("The name cannot be empty.")]
    if len(data.idempotency_key) > MAX_IDEMPOTENCY_KEY:
        errors["idempotency_key"] = [_("At most %(max)d characters.") % {"max": MAX_IDEMPOTENCY_KEY}]
    return errors


def _attributed_to_call(data: OrderInput, actor: Any) -> OrderInput:
    """The order with the hotline number its call came in on and when it arrived, so it is attributed to the
    airing the call was attributed to. A callback's dial has no hotline number of its own: the callback's
    first call has. Only the call's agent (or a supervisor) may credit an order to a call's airing; an
    unknown call leaves the order as given."""
    call = CallRecord.objects.filter(call_id=data.call_id).select_related("hotline_number").first() \
        if data.call_id else None
    if call is None or (call.agent_key != getattr(actor, "username", None)
                        and not (actor is not None and actor.has_perm(Perm.SUPERVISE_CALLS))):
        return data
    if call.hotline_number is not None:
        return replace(data, hotline_number=call.hotline_number.number, called_at=call.arrived_at)
    callback = (Callback.objects.filter(last_call_id=data.call_id, hotline_number__isnull=False)
                .select_related("hotline_number").first())
    if callback is None or callback.hotline_number is None:
        return data
    return replace(data, hotline_number=callback.hotline_number.number, called_at=callback.arrived_at)


def _create_customer(new: NewCustomer, data: OrderInput, *, actor: Any) -> Customer:
    customer = CustomerData(name=new.name, gender=new.gender or "u", phones=[new.phone] if new.phone else [],
                            address=data.address_text)
    try:
        return do_create_customer(customer, actor=actor)
    except ValidationError as exc:
        raise ValidationError({NEW_CUSTOMER_FIELDS.get(name, "new_customer"): messages
                               for name, messages in field_errors(exc).items()}) from exc


@transaction.atomic
def _create_order(data: OrderInput, *, actor: Any, idempotency_key: str | None, fingerprint: str = "") -> Order:
    _require(actor, Perm.CREATE_ORDER)
    _check_text_lengths(data)
    if data.customer_id is None:
        raise ValidationError({"customer_id": _("Choose the customer or enter a new one.")})
    customer = Customer.objects.filter(pk=data.customer_id).first()
    if customer is None:
        raise ValidationError({"customer_id": _("Customer #%(id)s does not exist.") % {"id": data.customer_id}})
    order = Order(customer=customer, delivery_method=data.delivery_method, payment_method=data.payment_method,
                  call_id=data.call_id, invoice_title=data.invoice_title, invoice_tax_id=data.invoice_tax_id,
                  rush=data.rush, notes=data.notes, agent=user_or_none(actor),
                  idempotency_key=idempotency_key, idempotency_fingerprint=fingerprint)
    _apply_delivery(order, data, customer)
    _apply_attribution(order, data.hotline_number, data.called_at)
    order.number = next_order_number()
    order.save()
    quote = _build_lines(order, data.lines, customer=customer, redeem_points=data.redeem_points,
                         reward_id=data.reward_id)
    order.save(update_fields=["subtotal", "discount_total", "total", "points"])
    reward_points = quote.reward.points if quote.reward is not None else 0
    redeem_for_order(order, reward_points, actor=actor, reward=quote.reward)
    redeem_for_order(order, quote.points_used - reward_points, actor=actor)
    if customer.first_airing_id is None and order.airing_id:
        Customer.objects.filter(pk=customer.pk, first_airing__isnull=True).update(first_airing=order.airing_id)
    OrderStatusChange.objects.create(order=order, from_status="", to_status=Status.ORDERED, actor=order.agent)
    record("create_order", order, actor=actor, after=snapshot(order))
    _notify(order, Status.ORDERED)
    publish_on_commit("order.created", {"order_id": order.pk, "number": order.number,
                                        "airing_id": order.airing_id, "total": str(order.total)})
    return order


@transaction.atomic
def do_update_order(order: Order, data: OrderInput, *, actor: Any) -> Order:
    """Replace an unshipped order's lines, delivery, payment and requests. Refused once shipped."""
    _require(actor, Perm.EDIT_ORDER)
    order = Order.objects.select_for_update().get(pk=order.pk)
    check_can_change_order(actor, order)
    _check_unlocked(order)
    _check_text_lengths(data)
    before = snapshot(order)
    _back_to_review(order, actor)
    _return_stock(order)
    order.lines.all().delete()
    order.delivery_method, order.payment_method = data.delivery_method, data.payment_method
    order.invoice_title, order.invoice_tax_id = data.invoice_title, data.invoice_tax_id
    order.rush, order.notes = data.rush, data.notes
    _apply_delivery(order, data, order.customer)
    # the points spent when it was placed still count (the gift taken for points too); they were spent then
    reward = reward_on(order)
    _build_lines(order, data.lines, customer=order.customer, check_balance=False,
                 redeem_points=redeemed_on(order) - reward_points_on(order),
                 reward_id=reward.pk if reward else None)
    order.save()
    record("update_order", order, actor=actor, before=before, after=snapshot(order))
    return order


@transaction.atomic
def do_transition_order(order: Order, to_status: str, *, actor: Any, reason: str = "", notify: bool = True,
                        restock: bool = True) -> Order:
    """Move an order along its lifecycle (see transitions.py); illegal moves are refused, with why.
    Becoming exchanged always creates the replacement order (see `do_exchange_order`).

    Logistics passes `notify=False` when it sends a richer message itself (courier and tracking number),
    and `restock=False` on a return whose goods it restocks line by line, by their condition."""
    if to_status == Status.EXCHANGED:
        do_exchange_order(order, actor=actor, reason=reason)
        return Order.objects.select_related("customer").get(pk=order.pk)
    return _transition(order, to_status, actor=actor, reason=reason, notify=notify, restock=restock)


def _transition(order: Order, to_status: str, *, actor: Any, reason: str, notify: bool = True,
                restock: bool = True) -> Order:
    order = Order.objects.select_for_update().select_related("customer").get(pk=order.pk)
    _check_transition(order, to_status, actor, reason)
    before = snapshot(order)
    from_status = order.status
    _apply_side_effects(order, to_status, restock=restock, actor=actor, reason=reason)
    order.status = to_status
    order.save()
    OrderStatusChange.objects.create(order=order, from_status=from_status, to_status=to_status,
                                     actor=user_or_none(actor), reason=reason)
    record(f"order_{to_status}", order, actor=actor, before=before, after={**snapshot(order), "reason": reason})
    if notify and to_status != Status.SETTLED and to_status != Status.EXCHANGED:
        _notify(order, to_status)
    publish_on_commit("order.status_changed", {"order_id": order.pk, "number": order.number,
                                               "from": from_status, "to": to_status})
    return order


def _check_transition(order: Order, to_status: str, actor: Any, reason: str) -> None:
    if to_status not in Status.values:
        raise OrderTransitionError({"status": _("Unknown status “%(status)s”.") % {"status": to_status}})
    perm = required_perm(order.status, to_status)
    if perm is None:
        raise OrderTransitionError({"status": _("Order %(number)s is %(from)s and cannot become %(to)s.") % {
            "number": order.number, "from": order.get_status_display(), "to": Status(to_status).label}})
    _require(actor, perm)
    if to_status == Status.CANCELLED:
        check_can_change_order(actor, order)
    if to_status in REASON_REQUIRED and not reason.strip():
        raise ValidationError({"reason": _("Give a reason for this change.")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("At most %(max)d characters.") % {"max": 300}})


def _apply_side_effects(order: Order, to_status: str, *, restock: bool = True, actor: Any = None,
                        reason: str = "") -> None:
    """Stock comes back on cancel and return; points are earned on delivery and lost on return, and points
    redeemed on the order come back on cancel and return (hotline.crm.points). A parcel
    waiting to ship is cancelled with its order (through the reverse relation: orders never import logistics).
    Settling writes finance's settlement entry, and a settled order that comes back gets the opposite entry
    (through the reverse relation too: the entries are append-only, the first one is never edited)."""
    if to_status == Status.CANCELLED:
        _return_stock(order)
        refund_for_order(order, actor=actor)
        order.shipments.filter(status="pending").update(status="cancelled")
        order.tasks.filter(status="open").update(status="done", done_at=timezone.now(),
                                                 outcome_note=_("The order was cancelled."))
    elif to_status == Status.DELIVERED:
        earn_for_order(order, actor=actor)
    elif to_status == Status.RETURNED:
        if restock:
            _return_stock(order)
        if order.status in (Status.DELIVERED, Status.SETTLED):
            take_back_for_order(order, actor=actor)
        refund_for_order(order, actor=actor)
        if order.status == Status.SETTLED:
            order.settlement_entries.create(kind="reverse", amount=-(order.settled_amount or order.total),
                                            recorded_by=user_or_none(actor), reason=reason[:300])
    elif to_status == Status.SETTLED:
        order.settled_at, order.settled_amount = timezone.now(), order.total
        order.settlement_entries.create(kind="settle", amount=order.total, recorded_by=user_or_none(actor),
                                        reason=reason[:300])


@transaction.atomic
def do_exchange_order(order: Order, *, actor: Any, reason: str,
                      lines: list[LineInput] | None = None) -> Order:
    """Mark a delivered order exchanged and create its replacement (same goods unless `lines` given,
    earning no second round of gifts), linked to it, at no charge; returns the replacement."""
    original = _transition(order, Status.EXCHANGED, actor=actor, reason=reason)
    replacement = Order(customer=original.customer, delivery_method=original.delivery_method,
                        payment_method=PaymentMethod.TRANSFER, recipient=original.recipient,
                        recipient_phone=original.recipient_phone, province=original.province,
                        city=original.city, district=original.district, address_detail=original.address_detail,
                        postcode=original.postcode, hotline_number=original.hotline_number,
                        airing=original.airing, agent=user_or_none(actor),
                        replaces=original, notes=_("Exchange for %(number)s: %(reason)s")
                        % {"number": original.number, "reason": reason})
    replacement.number = next_order_number()
    replacement.save()
    wanted = lines or [LineInput(line.product_id, line.quantity, cross_sell=line.is_cross_sell)
                       for line in original.lines.filter(is_gift=False)]
    _build_lines(replacement, wanted, gifts=False)  # the original's gifts were given already
    for line in replacement.lines.all():  # the customer already paid for the goods being replaced
        line.discount, line.line_total = line.unit_price * line.quantity, ZERO
        line.save(update_fields=["discount", "line_total"])
    replacement.discount_total, replacement.total, replacement.points = replacement.subtotal, ZERO, 0
    replacement.save()
    OrderStatusChange.objects.create(order=replacement, from_status="", to_status=Status.ORDERED,
                                     actor=replacement.agent, reason=reason)
    record("create_replacement_order", replacement, actor=actor, after=snapshot(replacement))
    _notify(original, Status.EXCHANGED, replacement=replacement.number)
    return replacement


def _back_to_review(order: Order, actor: Any) -> None:
    """A reviewed order that changes goes back to review: its parcel's courier, freight and COD amount were
    worked out for the old order (through the reverse relation: orders never import logistics)."""
    if order.status != Status.REVIEWED:
        return
    order.shipments.filter(status="pending").update(status="cancelled")
    order.tasks.filter(kind="confirm", status="open").update(  # the next review judges the risk again
        status="done", done_at=timezone.now(), outcome_note=_("Changed after review: to be reviewed again"))
    order.status = Status.ORDERED
    OrderStatusChange.objects.create(order=order, from_status=Status.REVIEWED, to_status=Status.ORDERED,
                                     actor=user_or_none(actor),
                                     reason=_("Changed after review: to be reviewed again"))


def _check_unlocked(order: Order) -> None:
    if order.locked:
        raise ValidationError(_("Order %(number)s is %(status)s: its lines, address and payment can no longer "
                                "be changed.") % {"number": order.number, "status": order.get_status_display()})


# What the back office may correct on an unshipped order without re-pricing it.
ORDER_DETAIL_FIELDS = frozenset({
    "delivery_method", "recipient", "recipient_phone", "province", "city", "district", "address_detail",
    "postcode", "payment_method", "invoice_title", "invoice_tax_id", "rush", "notes",
})


@transaction.atomic
def do_update_order_details(order: Order, changes: dict[str, Any], *, actor: Any) -> Order:
    """Correct an unshipped order's delivery address, payment method and requests, keeping its lines and
    prices (`do_update_order` replaces the lines and prices them again). Refused once shipped."""
    _require(actor, Perm.EDIT_ORDER)
    order = Order.objects.select_for_update().get(pk=order.pk)
    check_can_change_order(actor, order)
    _check_unlocked(order)
    unknown = set(changes) - ORDER_DETAIL_FIELDS
    if unknown:
        raise ValidationError(_("These fields cannot be changed here: %(fields)s")
                              % {"fields": ", ".join(sorted(unknown))})
    before = snapshot(order)
    _back_to_review(order, actor)
    for name, value in changes.items():
        setattr(order, name, value)
    if "recipient_phone" in changes:
        try:
            order.recipient_phone = normalize_phone(order.recipient_phone)
        except ValidationError as exc:
            raise ValidationError({"recipient_phone": exc.messages}) from exc
    if order.invoice_tax_id and not order.invoice_tax_id.isalnum():
        raise ValidationError({"invoice_tax_id": _("A taxpayer id has letters and digits only.")})
    order.full_clean()
    order.save()
    record("update_order", order, actor=actor, before=before, after=snapshot(order))
    return order
