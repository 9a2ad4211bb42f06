"""Back office for orders: browse, correct an unshipped order's address and requests, move orders along
their lifecycle. Orders are entered at the desk or through the API, so lines are read-only here; once an
order is shipped (or cancelled) nothing on it can be edited; status changes go through
`do_transition_order`, one order at a time or for a selection, with a reason where one is required.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from hotline.accounts.permissions import Perm
from hotline.core.admin import AuditedAdmin, PhoneSearchMixin, ReadOnlyInline
from hotline.lib.phones import normalize_phone
from hotline.media.models import Airing
from hotline.orders.actions import ORDER_DETAIL_FIELDS, do_transition_order, do_update_order_details
from hotline.orders.models import Order, OrderLine, OrderStatusChange, Status
from hotline.orders.queries import can_change_order
from hotline.orders.transitions import REASON_REQUIRED, TRANSITIONS, allowed_next
from hotline.service.queries import display_name

# Each target status needs one permission, whatever the status it is reached from.
TARGET_PERMS: dict[str, Perm] = {to: perm for (_from, to), perm in TRANSITIONS.items()}
TRANSITION_LABELS = {
    Status.REVIEWED: gettext_lazy("Mark reviewed"),
    Status.SHIPPED: gettext_lazy("Mark shipped"),
    Status.DELIVERED: gettext_lazy("Mark delivered"),
    Status.SETTLED: gettext_lazy("Mark settled"),
    Status.CANCELLED: gettext_lazy("Cancel"),
    Status.REFUSED: gettext_lazy("Record refusal on delivery"),
    Status.RETURNED: gettext_lazy("Record return"),
    Status.EXCHANGED: gettext_lazy("Exchange (creates a replacement order)"),
}


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ("product", "quantity", "unit_price", "discount", "line_total", "is_gift", "is_cross_sell")


class StatusHistoryInline(ReadOnlyInline):
    """Each change as "from → to" in words ("— → 订购" for the first), by whom by name."""

    model = OrderStatusChange
    fields = ("at", "from_status", "to_status", "actor_name", "reason")
    empty_value_display = "—"

    @admin.display(description=gettext_lazy("by"))
    def actor_name(self, obj: OrderStatusChange) -> str:
        return display_name(obj.actor)


class AiringFilter(admin.SimpleListFilter):
    """The recent airings to pick from; any airing's id works in the URL (`?airing=12`)."""

    title = gettext_lazy("airing")
    parameter_name = "airing"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        recent = Airing.objects.select_related("station").order_by("-starts_at")[:30]
        return [(str(airing.pk), str(airing)) for airing in recent]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Order]) -> QuerySet[Order]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(airing_id=int(value))
        return queryset


class OrderForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Order
        fields = sorted(ORDER_DETAIL_FIELDS)

    def clean_recipient_phone(self) -> str:
        return normalize_phone(self.cleaned_data["recipient_phone"])


class TransitionForm(forms.Form):
    """The reason for a status change: required for cancellations, refusals, returns and exchanges."""

    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False,
                             widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))

    def __init__(self, *args: Any, reason_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required


@admin.register(Order)
class OrderAdmin(PhoneSearchMixin, AuditedAdmin):
    """Orders: search by number, customer name or phone; filter by status, payment, date and airing."""

    form = OrderForm
    list_display = ("number", "created_at", "customer", "status", "total", "payment_method", "delivery_method",
                    "airing", "agent_name", "rush")
    list_filter = ("status", "payment_method", "delivery_method", "rush", AiringFilter,
                   ("airing__station", admin.RelatedOnlyFieldListFilter), "created_at")
    search_fields = ("^number", "customer__name", "recipient")
    phone_search_fields = ("recipient_phone", "customer__phones__number")
    date_hierarchy = "created_at"
    list_select_related = ("customer", "airing__station", "agent")
    inlines = [OrderLineInline, StatusHistoryInline]
    readonly_fields = ("number", "status", "customer", "created_at", "updated_at", "agent_name", "call_id", "subtotal",
                       "discount_total", "total", "points", "hotline_number", "airing", "replaces", "settled_at",
                       "settled_amount")
    fieldsets = (
        (None, {"fields": ("number", "status", "customer", "created_at", "updated_at", "agent_name", "call_id")}),
        (gettext_lazy("Delivery"), {"fields": ("delivery_method", "recipient", "recipient_phone", "province",
                                               "city", "district", "address_detail", "postcode")}),
        (gettext_lazy("Payment and totals"), {"fields": ("payment_method", "subtotal", "discount_total", "total",
                                                         "points")}),
        (gettext_lazy("Requests"), {"fields": ("invoice_title", "invoice_tax_id", "rush", "notes")}),
        (gettext_lazy("Attribution"), {"fields": ("hotline_number", "airing", "replaces")}),
    )
    settlement_fieldset = (gettext_lazy("Settlement"), {"fields": ("settled_at", "settled_amount")})

    @admin.display(description=gettext_lazy("agent"), ordering="agent")
    def agent_name(self, obj: Order) -> str:
        return display_name(obj.agent)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.has_perm(Perm.VIEW_SETTLEMENT):
            return (*self.fieldsets, self.settlement_fieldset)
        return self.fieldsets

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # orders are taken at the desk or through the API

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an order number is never reused; cancel instead

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and (obj.locked or not can_change_order(request.user, obj)):
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in ORDER_DETAIL_FIELDS}
        if changes:
            do_update_order_details(obj, changes, actor=request.user)

    # ------------------------------------------------------------ status changes

    def get_urls(self) -> list[URLPattern]:
        return [
            path("<path:object_id>/transition/<str:status>/", self.admin_site.admin_view(self.transition_view),
                 name="orders_order_transition"),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        order = self.get_object(request, unquote(object_id))
        context = {**(extra_context or {}), "transitions": self._transition_links(request, order)}
        if order is not None and order.locked:
            context["locked_message"] = _("Order %(number)s is %(status)s: it can no longer be edited.") % {
                "number": order.number, "status": order.get_status_display()}
        return super().change_view(request, object_id, form_url, context)

    def _transition_links(self, request: HttpRequest, order: Order | None) -> list[dict[str, str]]:
        if order is None:
            return []
        return [{"label": str(TRANSITION_LABELS[Status(to)]),
                 "url": reverse("admin:orders_order_transition", args=[order.pk, to])}
                for to in allowed_next(order.status) if request.user.has_perm(TARGET_PERMS[to])]

    def transition_view(self, request: HttpRequest, object_id: str, status: str) -> HttpResponse:
        """One order to `status`: a confirmation page with the reason, then `do_transition_order`."""
        if status not in TARGET_PERMS:
            raise Http404
        order = self.get_object(request, unquote(object_id))
        if order is None:
            raise Http404
        if not (self.has_view_permission(request, order) and request.user.has_perm(TARGET_PERMS[status])):
            raise PermissionDenied
        form = TransitionForm(request.POST if request.method == "POST" else None,
                              reason_required=status in REASON_REQUIRED)
        if request.method == "POST" and form.is_valid():
            self._run_transitions(request, [order], status, form.cleaned_data["reason"])
            return redirect(reverse("admin:orders_order_change", args=[order.pk]))
        return self._transition_page(request, [order], status, form, bulk=False)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions: dict[str, Any] = super().get_actions(request)
        if self.actions is None or not self.has_view_permission(request):
            return actions
        for status, perm in TARGET_PERMS.items():
            if request.user.has_perm(perm):
                func = _bulk_transition(status)
                actions[func.__name__] = (func, func.__name__, TRANSITION_LABELS[Status(status)])
        return actions

    def bulk_transition(self, request: HttpRequest, queryset: QuerySet[Order], status: str) -> HttpResponse | None:
        """The selected orders to `status`; asks for the reason first when one is required."""
        orders = list(queryset.order_by("pk"))
        needs_reason = status in REASON_REQUIRED
        form = TransitionForm(request.POST if "apply" in request.POST else None, reason_required=needs_reason)
        if needs_reason and not form.is_valid():
            return self._transition_page(request, orders, status, form, bulk=True)
        reason = form.cleaned_data["reason"] if form.is_bound and form.is_valid() else ""
        self._run_transitions(request, orders, status, reason)
        return None

    def _run_transitions(self, request: HttpRequest, orders: list[Order], status: str, reason: str) -> None:
        done: list[str] = []
        refused: list[str] = []
        for order in orders:
            try:
                do_transition_order(order, status, actor=request.user, reason=reason)
            except (ValidationError, PermissionDenied) as exc:
                problem = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                refused.append(f"{order.number}: {problem}")
                continue
            done.append(order.number)
        label = Status(status).label
        if done:
            self.message_user(request, ngettext(
                "%(count)d order is now %(status)s: %(numbers)s.", "%(count)d orders are now %(status)s: %(numbers)s.",
                len(done)) % {"count": len(done), "status": label, "numbers": ", ".join(done)}, messages.SUCCESS)
        if refused:
            self.message_user(request, _("Not changed: %(problems)s") % {"problems": " ".join(refused)},
                              messages.ERROR)

    def _transition_page(self, request: HttpRequest, orders: list[Order], status: str, form: TransitionForm,
                         *, bulk: bool) -> HttpResponse:
        context = {**self.admin_site.each_context(request), "opts": self.opts, "orders": orders, "form": form,
                   "bulk": bulk, "action_name": f"mark_{status}", "title": TRANSITION_LABELS[Status(status)],
                   "status_label": Status(status).label}
        return TemplateResponse(request, "admin/orders/order/transition.html", context)


def _bulk_transition(status: str) -> Callable[[OrderAdmin, HttpRequest, QuerySet[Order]], HttpResponse | None]:
    def action(modeladmin: OrderAdmin, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse | None:
        return modeladmin.bulk_transition(request, queryset, status)

    action.__name__ = f"mark_{status}"
    return action
