"""Back office for customers (with their numbers and addresses) and the blacklist.

Customers are created by `do_create_customer` and changed by `do_update_customer`; numbers and
addresses added here go through `do_add_phone` / `do_add_address`, so they are normalised, parsed
and checked for duplicates exactly as at the desk.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.forms.formsets import DELETION_FIELD_NAME
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from hotline.accounts.actions import do_delete_object, do_save_object
from hotline.accounts.permissions import Perm
from hotline.core.admin import AuditedAdmin, AuditedInline, ImportExportAdmin, PhoneSearchMixin, ReadOnlyInline
from hotline.crm.actions import (
    CustomerData,
    DuplicateCustomer,
    do_add_address,
    do_add_phone,
    do_blacklist_number,
    do_create_customer,
    do_lift_blacklist,
    do_reset_member_pin,
    do_update_customer,
)
from hotline.crm.imports import CustomerImport, parse_phones
from hotline.crm.models import Address, BlacklistEntry, BlacklistReport, Customer, CustomerPhone
from hotline.lib.addresses import parse_address
from hotline.lib.phones import normalize_phone

# What `do_update_customer` accepts; the change form offers exactly these.
CUSTOMER_EDITABLE = ("name", "gender", "birthday", "birthday_lunar", "level", "member_no", "email", "fax",
                     "notify_channel", "notes", "credit", "credit_reason")
CUSTOMER_NEW = ("name", "gender", "birthday", "birthday_lunar", "level", "member_no", "email", "notify_channel",
                "notes")


def duplicate_message(numbers: list[str], exclude_customer: int | None = None) -> str:
    """Why these numbers cannot be added (another customer has one), or ""."""
    clash = CustomerPhone.objects.filter(number__in=numbers)
    if exclude_customer is not None:
        clash = clash.exclude(customer_id=exclude_customer)
    first = clash.select_related("customer").first()
    if first is None:
        return ""
    return DuplicateCustomer(first.number, first.customer).message_dict["phones"][0]


class CustomerAddForm(forms.ModelForm):  # type: ignore[type-arg]
    """A new customer: their own fields, one or more numbers and an optional first address."""

    phones = forms.CharField(label=gettext_lazy("phone numbers"), max_length=200,
                             help_text=gettext_lazy("One or more numbers, separated by commas."))
    address = forms.CharField(label=gettext_lazy("address"), max_length=300, required=False,
                              help_text=gettext_lazy("As the customer says it; it is split into province, "
                                                     "city and district."))
    allow_duplicate = forms.BooleanField(
        label=gettext_lazy("Number shared with another customer"), required=False,
        help_text=gettext_lazy("Check for a family landline that already belongs to another customer."))

    class Meta:
        model = Customer
        fields = CUSTOMER_NEW

    def clean_phones(self) -> list[str]:
        numbers = parse_phones(self.cleaned_data["phones"])
        if not numbers:
            raise ValidationError(_("Enter at least one phone number."))
        return numbers

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        numbers = cleaned.get("phones")
        if numbers and not cleaned.get("allow_duplicate"):
            message = duplicate_message(numbers)
            if message:
                self.add_error("phones", message)
        return cleaned


class PhoneForm(forms.ModelForm):  # type: ignore[type-arg]
    """A number on the customer page: new numbers are checked as `do_add_phone` will; saved ones are fixed."""

    class Meta:
        model = CustomerPhone
        fields = ("number", "is_primary")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["number"].disabled = True  # to change a number, add the new one and delete the old

    def clean_number(self) -> str:
        if self.instance.pk:
            return self.instance.number
        number = normalize_phone(self.cleaned_data["number"])
        customer_id = self.instance.customer_id
        if customer_id and CustomerPhone.objects.filter(customer_id=customer_id, number=number).exists():
            raise ValidationError(_("%(number)s is already on this customer.") % {"number": number})
        message = duplicate_message([number], exclude_customer=customer_id)
        if message:
            raise ValidationError(message)
        return number


class PhoneFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """A customer keeps at least one number: the desk finds customers by them."""

    def clean(self) -> None:
        super().clean()
        kept = [form for form in self.forms
                if (form.has_changed() or form.instance.pk)
                and not getattr(form, "cleaned_data", {}).get(DELETION_FIELD_NAME, False)]
        if not kept:
            raise ValidationError(_("A customer needs at least one phone number."))


class CustomerPartInline(AuditedInline):
    """Numbers and addresses are part of the customer: whoever may change the customer may change them
    (docs/permissions.md), whatever Django's per-model permissions for the row models say."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(Perm.CHANGE_CUSTOMER)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(Perm.CHANGE_CUSTOMER)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(Perm.CHANGE_CUSTOMER)


class PhoneInline(CustomerPartInline):
    model = CustomerPhone
    form = PhoneForm
    formset = PhoneFormSet
    fields = ("number", "is_primary", "kind", "province", "city", "carrier")
    readonly_fields = ("kind", "province", "city", "carrier")


class AddressForm(forms.ModelForm):  # type: ignore[type-arg]
    """An address typed as free text; the parts are parsed from it on save."""

    raw = forms.CharField(label=gettext_lazy("address"), max_length=300)

    class Meta:
        model = Address
        fields = ("raw", "recipient", "phone", "is_default")

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"]
        return normalize_phone(phone) if phone else ""


class AddressInline(CustomerPartInline):
    model = Address
    form = AddressForm
    fields = ("raw", "recipient", "phone", "is_default", "province", "city", "district", "detail")
    readonly_fields = ("province", "city", "district", "detail")


@admin.register(Customer)
class CustomerAdmin(PhoneSearchMixin, ImportExportAdmin):
    """Customers: search by name, by any phone number in any notation, or by member number."""

    import_class = CustomerImport
    list_display = ("name", "primary_phone_display", "gender", "level", "member_no", "credit", "points",
                    "created_at")
    list_filter = ("level", "credit", "gender", "notify_channel", "birthday_lunar", "created_at")
    search_fields = ("name", "=member_no", "=phones__number")
    phone_search_fields = ("phones__number",)
    date_hierarchy = "created_at"
    fieldsets = (
        (None, {"fields": ("name", "gender", "birthday", "birthday_lunar", "level", "member_no", "points")}),
        (gettext_lazy("Contact"), {"fields": ("email", "fax", "notify_channel")}),
        (gettext_lazy("Credit"), {"fields": ("credit", "credit_reason")}),
        (gettext_lazy("Other"), {"fields": ("notes", "first_airing", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (None, {"fields": ("name", "phones", "allow_duplicate", "address", "gender", "birthday",
                           "birthday_lunar", "level", "member_no")}),
        (gettext_lazy("Contact"), {"fields": ("email", "notify_channel")}),
        (gettext_lazy("Other"), {"fields": ("notes",)}),
    )
    readonly_fields = ("points", "first_airing", "created_at", "updated_at")

    def has_import_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(Perm.IMPORT_CUSTOMERS)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(Perm.EXPORT_CUSTOMERS)  # the whole base leaves in one file

    def get_actions(self, request: HttpRequest) -> Any:
        found = super().get_actions(request)
        found.update(self._get_action_choices_for("reset_member_pin", request))
        return found

    def _get_action_choices_for(self, name: str, request: HttpRequest) -> dict[str, Any]:
        """The back office's PIN reset, for those who may set PINs (the desk sets the new one)."""
        action = self.get_action(name)
        return {name: action} if action is not None and self.has_set_pin_permission(request) else {}

    def has_set_pin_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(Perm.SET_MEMBER_PIN)

    @admin.action(description=gettext_lazy("Reset the member PIN of the selected customers"),
                  permissions=["set_pin"])
    def reset_member_pin(self, request: HttpRequest, queryset: QuerySet[Customer]) -> None:
        done = sum(do_reset_member_pin(customer, actor=request.user) for customer in queryset)
        self.message_user(request, ngettext("%(count)d member PIN reset.", "%(count)d member PINs reset.", done)
                          % {"count": done}, messages.SUCCESS)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        return super().get_queryset(request).prefetch_related("phones")

    @admin.display(description=gettext_lazy("phone"))
    def primary_phone_display(self, obj: Customer) -> str:
        return obj.primary_phone()

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = CustomerAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[Any]:
        return [] if obj is None else [PhoneInline, AddressInline]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name in CUSTOMER_EDITABLE}
            if changes:
                do_update_customer(obj, changes, actor=request.user)
            return
        data = CustomerData(phones=form.cleaned_data["phones"], address=form.cleaned_data["address"],
                            **{name: form.cleaned_data[name] for name in CUSTOMER_NEW})
        customer = do_create_customer(data, actor=request.user, allow_duplicate=form.cleaned_data["allow_duplicate"])
        obj.pk, obj.created_at, obj.updated_at = customer.pk, customer.created_at, customer.updated_at
        obj._state.adding = False

    @transaction.atomic
    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is CustomerPhone:
            self._save_phones(request, form.instance, formset)
        elif formset.model is Address:
            self._save_addresses(request, form.instance, formset)
        else:
            super().save_formset(request, form, formset, change)

    def _save_phones(self, request: HttpRequest, customer: Customer, formset: Any) -> None:
        instances = formset.save(commit=False)
        for phone in formset.deleted_objects:
            do_delete_object(phone, actor=request.user)
        for phone in instances:
            saved = phone if phone.pk else do_add_phone(customer, phone.number, actor=request.user)
            if phone.pk and phone in dict(formset.changed_objects):
                do_save_object(phone, actor=request.user)
            if phone.is_primary:
                _make_primary(saved, actor=request.user)

    def _save_addresses(self, request: HttpRequest, customer: Customer, formset: Any) -> None:
        instances = formset.save(commit=False)
        for address in formset.deleted_objects:
            do_delete_object(address, actor=request.user)
        changed = dict(formset.changed_objects)
        for address in instances:
            if address.pk is None:
                saved = do_add_address(customer, address.raw, actor=request.user, recipient=address.recipient,
                                       phone=address.phone, default=address.is_default)
            else:
                if "raw" in changed.get(address, []):
                    parsed = parse_address(address.raw)
                    address.province, address.city = parsed.province, parsed.city
                    address.district, address.detail = parsed.district, parsed.detail
                saved = do_save_object(address, actor=request.user)
            if saved.is_default:
                for other in customer.addresses.filter(is_default=True).exclude(pk=saved.pk):
                    other.is_default = False
                    do_save_object(other, actor=request.user)


def _make_primary(phone: CustomerPhone, *, actor: Any) -> None:
    """One primary number per customer: the one just marked."""
    if not phone.is_primary:
        phone.is_primary = True
        do_save_object(phone, actor=actor)
    for other in CustomerPhone.objects.filter(customer_id=phone.customer_id, is_primary=True).exclude(pk=phone.pk):
        other.is_primary = False
        do_save_object(other, actor=actor)


class BlacklistReportInline(ReadOnlyInline):
    model = BlacklistReport
    fields = ("at", "reported_by", "reason")


class BlacklistAddForm(forms.ModelForm):  # type: ignore[type-arg]
    """Blacklist a number at once (reports from agents arrive through `do_report_number`)."""

    class Meta:
        model = BlacklistEntry
        fields = ("number", "action", "reason")

    def clean_number(self) -> str:
        return normalize_phone(self.cleaned_data["number"])


@admin.register(BlacklistEntry)
class BlacklistEntryAdmin(PhoneSearchMixin, AuditedAdmin):
    """Reported and blacklisted numbers, with their reports; lift or blacklist from the list."""

    list_display = ("number", "active", "action", "report_count", "reason", "created_by", "created_at",
                    "activated_at")
    list_filter = ("active", "action", "created_at")
    search_fields = ("number", "reason")
    phone_search_fields = ("number",)
    list_select_related = ("created_by",)
    readonly_fields = ("number", "active", "report_count", "created_by", "created_at", "activated_at")
    inlines = [BlacklistReportInline]
    actions = ["blacklist_selected", "lift_selected"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["number", "action", "reason"]
        return ["number", "active", "action", "reason", "report_count", "created_by", "created_at", "activated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.readonly_fields

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = BlacklistAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        entry = do_blacklist_number(obj.number, actor=request.user, action=obj.action, reason=obj.reason)
        obj.pk, obj.active, obj.created_at = entry.pk, entry.active, entry.created_at
        obj._state.adding = False

    @admin.action(description=gettext_lazy("Blacklist the selected numbers"), permissions=["change"])
    def blacklist_selected(self, request: HttpRequest, queryset: QuerySet[BlacklistEntry]) -> None:
        with transaction.atomic():
            for entry in queryset:
                do_blacklist_number(entry.number, actor=request.user, action=entry.action)
        count = queryset.count()
        self.message_user(request, ngettext("%(count)d number blacklisted.", "%(count)d numbers blacklisted.",
                                            count) % {"count": count}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Lift the blacklisting of the selected numbers"), permissions=["change"])
    def lift_selected(self, request: HttpRequest, queryset: QuerySet[BlacklistEntry]) -> None:
        with transaction.atomic():
            for entry in queryset:
                do_lift_blacklist(entry, actor=request.user)
        count = queryset.count()
        self.message_user(request, ngettext("%(count)d number lifted from the blacklist.",
                                            "%(count)d numbers lifted from the blacklist.", count)
                          % {"count": count}, messages.SUCCESS)
