"""Keyboard-fast order entry at the agent desk: product look-up, a live quote, placing the order (with a
new customer when the caller is new), a customer search by phone or name to order for outside a call, and
address parsing. JSON in and out, called by the desk page's script with the session cookie and the CSRF
header.

Prices are never taken from the page: quotes and orders are priced by `hotline.orders.pricing`. Orders are
placed by `do_place_order`, the action the REST API places them with, and refusals have the API's shape
(`hotline.lib.errors`): 422 `{"errors": {field: [messages]}}`, 403 `{"detail": message}`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any, TypeGuard, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.permissions import Perm
from hotline.catalog.models import CrossSell, GiftRule, Product, SaleStatus
from hotline.catalog.queries import search_products
from hotline.crm.models import Address, Customer
from hotline.crm.queries import search_customers
from hotline.lib.addresses import parse_address
from hotline.lib.errors import invalid_response, refusal_response
from hotline.lib.money import yuan
from hotline.lib.phones import PhoneInfo, is_valid_phone, normalize_phone
from hotline.logistics.risk import HIGH, risk_for_new_order
from hotline.logistics.selection import cod_available
from hotline.orders.actions import NewCustomer, OrderInput, PlaceOrderInput, do_place_order
from hotline.orders.models import DeliveryMethod, Order, PaymentMethod
from hotline.orders.pricing import LineInput, Quote, quote_for, rewards_for

PRODUCT_LIMIT = 8
CUSTOMER_LIMIT = 8
MAX_SEARCH_LENGTH = 50
MAX_ADDRESS_LENGTH = 300
ORDER_TEXT_FIELDS = ("delivery_method", "payment_method", "address_text", "recipient", "recipient_phone",
                     "invoice_title", "invoice_tax_id", "notes", "hotline_number", "call_id")

View = Callable[..., HttpResponse]


# ---------------------------------------------------------------- access and JSON plumbing

def desk_endpoint(*perms: Perm) -> Callable[[View], View]:
    """Answer 403 JSON (not a login redirect: the caller is `fetch`) to anonymous users and to users
    without every one of `perms`; answer a ValidationError or PermissionDenied the view raises as the REST
    API does (422 with field errors, 403)."""
    def decorate(view: View) -> View:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return refusal_response(_("Log in to continue."), 403)
            if not all(request.user.has_perm(perm) for perm in perms):
                return refusal_response(_("You do not have permission to do this."), 403)
            try:
                return view(request, *args, **kwargs)
            except ValidationError as exc:
                return invalid_response(exc)
            except PermissionDenied as exc:
                return refusal_response(str(exc) or _("You do not have permission to do this."), 403)
        return checked
    return decorate


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object, or a ValidationError."""
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise ValidationError({"__all__": _("The request body must be a JSON object.")})
    return body


def _money(value: Decimal) -> str:
    return str(yuan(value))


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


# ---------------------------------------------------------------- reads

def product_choices(term: str, limit: int = PRODUCT_LIMIT) -> list[dict[str, Any]]:
    """The products an agent's term finds, with their gifts and cross-sells, in three queries."""
    products = search_products(term, limit=limit)
    # Only what the order will really bring: active rules whose gift is on sale, suggestions on sale.
    gifts = GiftRule.objects.filter(active=True, gift__status=SaleStatus.ON_SALE).select_related("gift")
    offers = CrossSell.objects.filter(suggestion__status=SaleStatus.ON_SALE).select_related("suggestion")
    prefetch_related_objects(products, Prefetch("gift_rules", queryset=gifts.order_by("buy_quantity", "id")),
                             Prefetch("cross_sells", queryset=offers))
    return [_product_json(product) for product in products]


def _product_json(product: Product) -> dict[str, Any]:
    low = is_low_stock(product)
    return {
        "id": product.pk, "code": product.short_code, "sku": product.sku, "name": product.name,
        "price": _money(product.price), "stock": product.stock if product.track_stock else None,
        # The agent is told before promising quick delivery; the words come translated, ready to show.
        "low_stock": low,
        "stock_warning": _("Low stock (%(stock)d left)") % {"stock": product.stock} if low else "",
        "gifts": [{"name": rule.gift.name, "buy": rule.buy_quantity, "get": rule.gift_quantity}
                  for rule in product.gift_rules.all()],
        "cross_sells": [{"id": offer.suggestion_id, "name": offer.suggestion.name,
                         "offer_price": _money(offer.offer_price)} for offer in product.cross_sells.all()],
    }


def is_low_stock(product: Product) -> bool:
    """Whether the desk warns that a product is running out: its stock is tracked and at or below the
    product's warning level."""
    return bool(product.track_stock and product.stock is not None and product.stock <= product.low_stock)


def customer_choice(customer: Customer) -> dict[str, Any]:
    """A found customer as the order form takes them: the same keys as a pop's order prefill."""
    phones = sorted(customer.phones.all(), key=lambda phone: (not phone.is_primary, phone.pk))  # prefetched
    phone = phones[0] if phones else None
    addresses = list(customer.addresses.all())  # prefetched; the default first
    region = PhoneInfo(number=phone.number, kind=phone.kind, province=phone.province, city=phone.city).region \
        if phone is not None else ""
    return {"customer_id": customer.pk, "customer_name": customer.name, "salutation": customer.salutation,
            "level": customer.get_level_display(), "phone": phone.number if phone is not None else "",
            "region": region, "addresses": [{"id": address.pk, "text": str(address)} for address in addresses],
            "address_id": addresses[0].pk if addresses else None}


def quote_json(quote: Quote) -> dict[str, Any]:
    """The quote for the page; the promotions and points keys only when there are some."""
    answer = {
        "lines": [{"product_id": line.product.pk, "name": line.product.name, "quantity": line.quantity,
                   "unit_price": _money(line.unit_price), "amount": _money(line.amount),
                   "cross_sell": line.cross_sell} for line in quote.lines],
        "gifts": [{"product_id": gift.product.pk, "name": gift.product.name, "quantity": gift.quantity}
                  for gift in quote.gifts],
        "total": _money(quote.total),
        "points": quote.points,
    }
    if quote.promotions:
        answer["promotions"] = quote.promotions
    if quote.points_used:
        answer.update(points_used=quote.points_used, points_discount=_money(quote.points_discount))
    return answer


def order_json(order: Order) -> dict[str, Any]:
    return {"id": order.pk, "number": order.number, "total": _money(order.total), "airing_id": order.airing_id,
            "customer_id": order.customer_id}


# ---------------------------------------------------------------- warnings while the order is typed

def entry_warnings(body: dict[str, Any], total: Decimal) -> list[dict[str, Any]]:
    """What the agent should hear before placing a cash-on-delivery order: no courier collects cash at the
    address (when one is known), or a high refusal risk with its reasons. Advisory only: a malformed field
    is ignored here (placing the order reports it)."""
    if body.get("payment_method") != PaymentMethod.COD:
        return []
    warnings: list[dict[str, Any]] = []
    place = _quoted_place(body)
    method = body.get("delivery_method")
    if place is not None:
        available, problem = cod_available(*place, total,
                                           delivery_method=method if method in DeliveryMethod.values else None)
        if not available:
            warnings.append({"kind": "cod", "text": problem})
    customer_id = body.get("customer_id") if _is_int(body.get("customer_id")) else None
    if customer_id is not None or body.get("new_customer"):
        province, city, _district = place or ("", "", "")
        risk = risk_for_new_order(customer_id, province, city, total)
        if risk.level == HIGH:
            reasons = pgettext("list separator", ", ").join(risk.reasons)
            warnings.append({"kind": "risk", "score": risk.score, "level": risk.level,
                             "text": _("High risk of refusal (%(score)d points): %(reasons)s")
                             % {"score": risk.score, "reasons": reasons}})
    return warnings


def _quoted_place(body: dict[str, Any]) -> tuple[str, str, str] | None:
    """(province, city, district) of the address typed, or of the chosen customer's saved address."""
    text = body.get("address_text")
    if isinstance(text, str) and text.strip() and len(text) <= MAX_ADDRESS_LENGTH:
        parsed = parse_address(text.strip())
        return (parsed.province, parsed.city, parsed.district) if parsed.province or parsed.city else None
    address_id, customer_id = body.get("address_id"), body.get("customer_id")
    if not _is_int(address_id) or not _is_int(customer_id):
        return None
    address = Address.objects.filter(pk=address_id, customer_id=customer_id).first()
    if address is None or not (address.province or address.city):
        return None
    return address.province, address.city, address.district


# ---------------------------------------------------------------- reading the page's input

def parse_lines(raw: object) -> list[LineInput]:
    """The requested lines as the page sent them; `quote_order` checks each line's fields and reports them
    where the API reports them (`lines.0.quantity`)."""
    if not isinstance(raw, list):
        raise ValidationError({"lines": _("An order needs at least one product.")})
    return [_requested_line(item if isinstance(item, dict) else {}) for item in raw]


def _requested_line(item: dict[str, Any]) -> LineInput:
    # The values as sent, unchecked (the casts say so): pricing reports each wrong field of the line.
    return LineInput(product_id=cast(int, item.get("product_id")), quantity=cast(int, item.get("quantity")),
                     cross_sell=item.get("cross_sell", False))


def parse_order(body: dict[str, Any]) -> PlaceOrderInput:
    """The order form as the placing action's input. Only the JSON types are checked here, every wrong one
    at once, keyed by its name; what makes an order valid is for `do_place_order`."""
    errors: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    for name in (*ORDER_TEXT_FIELDS, "idempotency_key"):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            errors[name] = _("Enter text.")
        elif value:
            fields[name] = value
    for name in ("customer_id", "address_id", "reward_id"):
        if body.get(name) is not None and not _is_int(body[name]):
            errors[name] = _("Choose one from the list.")
    if not isinstance(body.get("rush", False), bool):
        errors["rush"] = _("Must be true or false.")
    new_customer = _parse_new_customer(body.get("new_customer"), errors)
    try:
        lines = parse_lines(body.get("lines"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    key = fields.pop("idempotency_key", "")
    # the points as sent: pricing refuses anything but a whole number within the balance (on `redeem_points`)
    order = OrderInput(customer_id=body.get("customer_id"), lines=lines, address_id=body.get("address_id"),
                       rush=body.get("rush", False), redeem_points=body.get("redeem_points") or 0,
                       reward_id=body.get("reward_id"), **fields)
    return PlaceOrderInput(order=order, new_customer=new_customer, idempotency_key=key)


def _parse_new_customer(raw: object, errors: dict[str, Any]) -> NewCustomer | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not all(isinstance(raw.get(name, ""), str) for name in ("name", "gender",
                                                                                             "phone")):
        errors["new_customer"] = _("Enter the new customer's name, gender and phone number.")
        return None
    return NewCustomer(name=raw.get("name", ""), phone=raw.get("phone", ""), gender=raw.get("gender", ""))


# ---------------------------------------------------------------- views

@require_GET
@desk_endpoint(Perm.CREATE_ORDER)
def products(request: HttpRequest) -> HttpResponse:
    """Products matching `q` (code, pinyin initials, name), for the order line being typed."""
    return JsonResponse({"products": product_choices(request.GET.get("q", ""))})


@require_GET
@desk_endpoint(Perm.CREATE_ORDER, Perm.VIEW_CUSTOMER)
def customers(request: HttpRequest) -> HttpResponse:
    """Customers found by phone number or name (`q`), to order for outside a call. `new_phone` is the term
    as a phone number when it is one, for a new customer with that number."""
    term = request.GET.get("q", "").strip()
    if not term:
        raise ValidationError({"q": _("Enter a phone number or a name.")})
    if len(term) > MAX_SEARCH_LENGTH:
        raise ValidationError({"q": _("At most %(max)d characters.") % {"max": MAX_SEARCH_LENGTH}})
    found = search_customers(term, limit=CUSTOMER_LIMIT)
    return JsonResponse({"customers": [customer_choice(customer) for customer in found],
                         "new_phone": normalize_phone(term) if is_valid_phone(term) else ""})


@require_POST
@desk_endpoint(Perm.CREATE_ORDER)
def quote(request: HttpRequest) -> HttpResponse:
    """What the lines typed so far cost, with their gifts and points; nothing is written. For a customer on
    file (`customer_id`) the promotions they get, the points they redeem (`redeem_points`) and the gift they
    take for points (`reward_id`) are priced in; `customer_points` is their balance and `rewards` the gifts
    they have enough points for. When the page sends the order's payment method too, `warnings`
    says what the agent should know before placing it."""
    body = json_body(request)
    customer_id = body.get("customer_id")
    customer = Customer.objects.filter(pk=customer_id).first() if _is_int(customer_id) else None
    priced = quote_for(parse_lines(body.get("lines")), customer=customer, redeem_points=body.get("redeem_points") or 0,
                       reward_id=body.get("reward_id"))
    answer = quote_json(priced)
    if customer is not None:
        answer["customer_points"] = customer.points
        answer["rewards"] = [{"id": reward.pk, "name": reward.product.name, "points": reward.points}
                             for reward in rewards_for(customer)]
    if "payment_method" in body:
        answer["warnings"] = entry_warnings(body, priced.total)
    return JsonResponse(answer)


@require_POST
@desk_endpoint(Perm.CREATE_ORDER)
def create_order(request: HttpRequest) -> HttpResponse:
    """Place the order (201), or return the one this idempotency key placed already (200)."""
    order, created = do_place_order(parse_order(json_body(request)), actor=request.user)
    return JsonResponse({"order": order_json(order)}, status=201 if created else 200)


@require_GET
@desk_endpoint(Perm.CREATE_ORDER)
def parse_address_view(request: HttpRequest) -> HttpResponse:
    """Province, city, district and the rest of a typed address, to check before saving."""
    text = request.GET.get("text", "").strip()
    if not text:
        raise ValidationError({"text": _("Enter an address.")})
    if len(text) > MAX_ADDRESS_LENGTH:
        raise ValidationError({"text": _("At most %(max)d characters.") % {"max": MAX_ADDRESS_LENGTH}})
    parsed = parse_address(text)
    return JsonResponse({"province": parsed.province, "city": parsed.city, "district": parsed.district,
                         "detail": parsed.detail})
