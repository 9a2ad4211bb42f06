"""Customers: list and search, the screen-pop look-up by phone, create, change, add numbers and addresses."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.decorators import decorate_view
from ninja.pagination import paginate

from hotline.accounts.permissions import Perm
from hotline.api.auth import current_user, needs
from hotline.api.errors import responses
from hotline.api.limits import CUSTOMER_BODY, SMALL_BODY, body_limit
from hotline.api.pagination import Page
from hotline.api.schemas import (
    AddressIn,
    CustomerChangesIn,
    CustomerFilter,
    CustomerIn,
    CustomerOut,
    LookupOut,
    LookupQuery,
    PathId,
    PhoneIn,
)
from hotline.crm.actions import CustomerData, do_add_address, do_add_phone, do_create_customer, do_update_customer
from hotline.crm.models import Customer, CustomerPhone
from hotline.crm.queries import blacklist_action, customers_by_phone
from hotline.lib.phones import is_valid_phone, normalize_phone, phone_info

router = Router(tags=["customers"])


def _customers() -> QuerySet[Customer]:
    return Customer.objects.prefetch_related("phones", "addresses")


def customer_or_404(customer_id: int) -> Customer:
    """The customer with their numbers and addresses, or a translated 404."""
    customer = _customers().filter(pk=customer_id).first()
    if customer is None:
        raise Http404(_("Customer #%(id)s does not exist.") % {"id": customer_id})
    return customer


def filter_customers(filters: CustomerFilter) -> QuerySet[Customer]:
    """Customers matching all the filters, newest first."""
    customers = _customers()
    if filters.q.strip():
        term = filters.q.strip()
        match = Q(name__icontains=term) | Q(member_no=term)
        if is_valid_phone(term):
            match |= Q(pk__in=CustomerPhone.objects.filter(number=normalize_phone(term)).values("customer_id"))
        customers = customers.filter(match)
    if filters.phone:
        customers = customers.filter(pk__in=CustomerPhone.objects.filter(number=filters.phone).values("customer_id"))
    if filters.level:
        customers = customers.filter(level=filters.level)
    if filters.credit:
        customers = customers.filter(credit=filters.credit)
    return customers.order_by("-id")


# Without `crm.export_customer` the list is a look-up, not a way to page through the whole base.
LOOKUP_MIN_CHARS = 2
LOOKUP_LIMIT = 50


def customers_for(user: Any, filters: CustomerFilter) -> QuerySet[Customer]:
    """`filter_customers`, limited for whoever may not export customers: a phone number, or `q` of at least
    `LOOKUP_MIN_CHARS` characters, is required, and at most `LOOKUP_LIMIT` customers are answered."""
    customers = filter_customers(filters)
    if user.has_perm(Perm.EXPORT_CUSTOMERS):
        return customers
    if not filters.phone and len(filters.q.strip()) < LOOKUP_MIN_CHARS:
        raise ValidationError({"q": _("Look a customer up by phone, or by at least %(min)d characters of a name "
                                      "or member number.") % {"min": LOOKUP_MIN_CHARS}})
    return customers[:LOOKUP_LIMIT]


@router.get("", response={200: list[CustomerOut], **responses(422)}, auth=needs(Perm.VIEW_CUSTOMER))
@paginate(Page)
def list_customers(request: HttpRequest, filters: Query[CustomerFilter]) -> QuerySet[Customer]:
    """Customers, newest first, with their numbers and addresses. Needs `crm.view_customer`. Without
    `crm.export_customer` this is a look-up: `phone`, or `q` of at least 2 characters, is required
    (422 otherwise), and at most the 50 newest matches are answered."""
    return customers_for(current_user(request), filters)


@router.get("/lookup", response={200: LookupOut, **responses(422)}, auth=needs(Perm.VIEW_CUSTOMER))
def lookup_customers(request: HttpRequest, query: Query[LookupQuery]) -> dict[str, object]:
    """The screen pop: the caller's number (any notation) with its region, carrier and blacklist
    status, and the customers who have it, newest first. Needs `crm.view_customer`."""
    info = phone_info(query.phone)
    found = customers_by_phone(query.phone)
    prefetch_related_objects(found, "phones", "addresses")
    return {"phone": info.number, "kind": info.kind, "region": info.region, "carrier": info.carrier,
            "blacklist": blacklist_action(query.phone), "customers": found}


@router.get("/{customer_id}", response={200: CustomerOut, **responses(404, 422)}, auth=needs(Perm.VIEW_CUSTOMER))
def get_customer(request: HttpRequest, customer_id: PathId) -> Customer:
    """One customer with their numbers and addresses. Needs `crm.view_customer`."""
    return customer_or_404(customer_id)


@router.post("", response={201: CustomerOut, **responses(409, 422)}, auth=needs(Perm.ADD_CUSTOMER))
@decorate_view(body_limit(CUSTOMER_BODY))
def create_customer(request: HttpRequest, payload: CustomerIn) -> Status[Customer]:
    """Create a customer. A number that already belongs to someone answers 409 with that customer's id.
    Needs `crm.add_customer`."""
    data = CustomerData(**payload.model_dump(exclude={"allow_duplicate"}))
    customer = do_create_customer(data, actor=current_user(request), allow_duplicate=payload.allow_duplicate)
    return Status(201, customer_or_404(customer.pk))


@router.patch("/{customer_id}", response={200: CustomerOut, **responses(404, 422)},
              auth=needs(Perm.CHANGE_CUSTOMER))
@decorate_view(body_limit(CUSTOMER_BODY))
def update_customer(request: HttpRequest, customer_id: PathId, payload: CustomerChangesIn) -> Customer:
    """Change the fields sent, leave the others. Needs `crm.change_customer`."""
    customer = customer_or_404(customer_id)
    do_update_customer(customer, payload.model_dump(exclude_unset=True), actor=current_user(request))
    return customer_or_404(customer_id)


@router.post("/{customer_id}/phones", response={201: CustomerOut, **responses(404, 409, 422)},
             auth=needs(Perm.CHANGE_CUSTOMER))
@decorate_view(body_limit(SMALL_BODY))
def add_phone(request: HttpRequest, customer_id: PathId, payload: PhoneIn) -> Status[Customer]:
    """Add a number; one that belongs to another customer answers 409 unless `allow_duplicate`.
    Needs `crm.change_customer`."""
    customer = customer_or_404(customer_id)
    do_add_phone(customer, payload.number, actor=current_user(request), allow_duplicate=payload.allow_duplicate)
    return Status(201, customer_or_404(customer_id))


@router.post("/{customer_id}/addresses", response={201: CustomerOut, **responses(404, 422)},
             auth=needs(Perm.CHANGE_CUSTOMER))
@decorate_view(body_limit(SMALL_BODY))
def add_address(request: HttpRequest, customer_id: PathId, payload: AddressIn) -> Status[Customer]:
    """Add a delivery address typed as free text; it is parsed into province / city / district.
    Needs `crm.change_customer`."""
    customer = customer_or_404(customer_id)
    do_add_address(customer, payload.text, actor=current_user(request), recipient=payload.recipient,
                   phone=payload.phone or "", default=payload.default)
    return Status(201, customer_or_404(customer_id))
