"""Orders: place (idempotently), read, filter, edit before shipping, move along the lifecycle, exchange,
and the customer-service status look-up by order number or phone."""

import datetime

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Status
from ninja.decorators import decorate_view
from ninja.pagination import paginate

from hotline.accounts.permissions import Perm
from hotline.api.airings import local_day_start
from hotline.api.auth import current_user, needs
from hotline.api.errors import responses
from hotline.api.limits import ORDER_BODY, SMALL_BODY, body_limit
from hotline.api.pagination import Page
from hotline.api.schemas import (
    ExchangeIn,
    OrderChangesIn,
    OrderFilter,
    OrderIn,
    OrderOut,
    OrderStatusOut,
    StatusQuery,
    TransitionIn,
)
from hotline.crm.queries import orders_for_phone
from hotline.orders.actions import (
    PlaceOrderInput,
    do_exchange_order,
    do_place_order,
    do_transition_order,
    do_update_order,
)
from hotline.orders.models import Order

router = Router(tags=["orders"])

STATUS_LOOKUP_LIMIT = 20


def _orders(orders: QuerySet[Order] | None = None) -> QuerySet[Order]:
    """Orders with everything OrderOut reads, in a fixed number of queries."""
    base = Order.objects.all() if orders is None else orders
    return base.select_related("customer", "hotline_number", "airing__station", "agent", "replaces").prefetch_related(
        "lines__product", "history__actor", "replacements")


def order_or_404(number: str) -> Order:
    """The order with this number, or a translated 404."""
    # no number holds NUL, and PostgreSQL would refuse the query itself
    order = None if "\x00" in number else _orders().filter(number=number).first()
    if order is None:
        raise Http404(_("Order %(number)s does not exist.") % {"number": number})
    return order


def filter_orders(filters: OrderFilter) -> QuerySet[Order]:
    """Orders matching all the filters, newest first."""
    orders = _orders(orders_for_phone(filters.phone) if filters.phone else None)
    exact = {"status": filters.status, "customer_id": filters.customer_id, "airing_id": filters.airing_id,
             "hotline_number__number": filters.hotline_number}
    orders = orders.filter(**{field: value for field, value in exact.items() if value is not None})
    if filters.date_from:
        orders = orders.filter(created_at__gte=local_day_start(filters.date_from))
    if filters.date_to:
        orders = orders.filter(created_at__lt=local_day_start(filters.date_to + datetime.timedelta(days=1)))
    return orders.order_by("-created_at", "-id")


@router.post("", response={200: OrderOut, 201: OrderOut, **responses(422)}, auth=needs(Perm.CREATE_ORDER))
@decorate_view(body_limit(ORDER_BODY))
def create_order(request: HttpRequest, payload: OrderIn,
                 idempotency_key: str | None = Header(None, alias="Idempotency-Key", min_length=1,
                                                      max_length=100)) -> Status[Order]:
    """Place an order; 201 with the new order. With an `Idempotency-Key` header (at most 100
    characters), sending the same key again answers 200 with the order the key first created,
    and never creates a second one. The `call_id` of a call you answered (or, for a supervisor, any
    call) attributes the order to the number that call came in on, at the time it arrived. Needs
    `orders.add_order`. The desk places its orders through the same action."""
    placing = PlaceOrderInput(payload.to_order_input(), idempotency_key=idempotency_key or "")
    order, created = do_place_order(placing, actor=current_user(request))
    return Status(201 if created else 200, order_or_404(order.number))


@router.get("", response={200: list[OrderOut], **responses(422)}, auth=needs(Perm.VIEW_ORDER))
@paginate(Page)
def list_orders(request: HttpRequest, filters: Query[OrderFilter]) -> QuerySet[Order]:
    """Orders, newest first, filtered by status, customer, the customer's phone, airing, hotline
    number and local creation days (inclusive). Needs `orders.view_order`."""
    return filter_orders(filters)


@router.get("/status", response={200: list[OrderStatusOut], **responses(422)}, auth=needs(Perm.VIEW_ORDER))
def order_status(request: HttpRequest, query: Query[StatusQuery]) -> QuerySet[Order]:
    """"Where is my order?": the order with this `number`, or the latest orders of the customers
    who have this `phone`. Needs `orders.view_order`."""
    orders = Order.objects.filter(number=query.number) if query.number else orders_for_phone(query.phone or "")
    return orders.prefetch_related("history__actor").order_by("-created_at", "-id")[:STATUS_LOOKUP_LIMIT]


@router.get("/{number}", response={200: OrderOut, **responses(404)}, auth=needs(Perm.VIEW_ORDER))
def get_order(request: HttpRequest, number: str) -> Order:
    """One order by its number. Needs `orders.view_order`; settlement fields need `orders.view_settlement`."""
    return order_or_404(number)


@router.put("/{number}", response={200: OrderOut, **responses(404, 422)}, auth=needs(Perm.EDIT_ORDER))
@decorate_view(body_limit(ORDER_BODY))
def update_order(request: HttpRequest, number: str, payload: OrderChangesIn) -> Order:
    """Replace an unshipped order's lines, delivery, payment and requests; refused once shipped.
    Needs `orders.change_order`."""
    order = order_or_404(number)
    do_update_order(order, payload.to_input(order.customer_id), actor=current_user(request))
    return order_or_404(number)


@router.post("/{number}/transitions", response={200: OrderOut, **responses(404, 422)},
             auth=needs(Perm.VIEW_ORDER))
@decorate_view(body_limit(SMALL_BODY))
def transition_order(request: HttpRequest, number: str, payload: TransitionIn) -> Order:
    """Move the order to status `to` (see `next_statuses`). Each move needs its own permission:
    review `orders.review_order`, cancel `orders.cancel_order`, ship `orders.ship_order`, delivery
    and refusal `orders.record_delivery`, return `orders.handle_return`, settle `orders.settle_order`.
    A move the lifecycle does not allow answers 422 with the message under `status`."""
    order = order_or_404(number)
    do_transition_order(order, payload.to, actor=current_user(request), reason=payload.reason)
    return order_or_404(number)


@router.post("/{number}/exchange", response={201: OrderOut, **responses(404, 422)},
             auth=needs(Perm.VIEW_ORDER, Perm.HANDLE_RETURN))
@decorate_view(body_limit(ORDER_BODY))
def exchange_order(request: HttpRequest, number: str, payload: ExchangeIn) -> Status[Order]:
    """Exchange a delivered (or settled) order: it becomes `exchanged` and a free replacement order,
    linked to it, is created with the same goods unless `lines` are given. Answers 201 with the
    replacement. Needs `orders.handle_return`."""
    order = order_or_404(number)
    lines = [line.to_input() for line in payload.lines] if payload.lines else None
    replacement = do_exchange_order(order, actor=current_user(request), reason=payload.reason, lines=lines)
    return Status(201, order_or_404(replacement.number))
