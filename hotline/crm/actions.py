"""Every write on customers, their numbers and addresses, and the blacklist."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.audit import record, snapshot
from hotline.accounts.permissions import Perm, require_perm
from hotline.crm.models import (
    Address,
    BlacklistAction,
    BlacklistEntry,
    BlacklistReport,
    Customer,
    CustomerPhone,
)
from hotline.lib.addresses import parse_address
from hotline.lib.bus import publish_on_commit
from hotline.lib.phones import normalize_phone, normalize_phones, phone_info


class DuplicateCustomer(ValidationError):
    """The number already belongs to another customer; `existing` names them."""

    def __init__(self, number: str, existing: Customer) -> None:
        super().__init__(
            {"phones": _("%(number)s already belongs to customer %(name)s (#%(id)s).")
             % {"number": number, "name": existing.name, "id": existing.pk}},
        )
        self.existing = existing


@dataclass
class CustomerData:
    """What a form, the API or an import gives to create or change a customer."""

    name: str
    phones: list[str] = field(default_factory=list)
    gender: str = "u"
    birthday: Any = None
    birthday_lunar: bool = False
    level: str = "normal"
    email: str = ""
    notify_channel: str = "sms"
    notes: str = ""
    address: str = ""
    member_no: str | None = None
    first_airing_id: int | None = None


def _normalized_phones(raw_phones: list[str]) -> list[str]:
    try:
        numbers = normalize_phones(raw_phones)
    except ValidationError as exc:
        raise ValidationError({"phones": exc.messages}) from exc
    if not numbers:
        raise ValidationError({"phones": _("Enter at least one phone number.")})
    return numbers


def _check_not_duplicate(numbers: list[str], exclude_pk: int | None) -> None:
    clash = CustomerPhone.objects.filter(number__in=numbers)
    if exclude_pk is not None:
        clash = clash.exclude(customer_id=exclude_pk)
    first = clash.select_related("customer").first()
    if first is not None:
        raise DuplicateCustomer(first.number, first.customer)


def _add_phone(customer: Customer, number: str, primary: bool) -> CustomerPhone:
    info = phone_info(number)
    return CustomerPhone.objects.create(customer=customer, number=number, kind=info.kind,
                                        province=info.province, city=info.city, carrier=info.carrier,
                                        is_primary=primary)


@transaction.atomic
def do_create_customer(data: CustomerData, *, actor: Any, allow_duplicate: bool = False) -> Customer:
    """Create a customer with their numbers (and an address if typed). A number that already belongs
    to someone else is refused as a duplicate unless `allow_duplicate` (a shared family landline)."""
    numbers = _normalized_phones(data.phones)
    if not allow_duplicate:
        _check_not_duplicate(numbers, exclude_pk=None)
    customer = Customer(name=data.name.strip(), gender=data.gender, birthday=data.birthday,
                        birthday_lunar=data.birthday_lunar, level=data.level, email=data.email,
                        notify_channel=data.notify_channel, notes=data.notes, member_no=data.member_no or None,
                        first_airing_id=data.first_airing_id)
    customer.full_clean()
    customer.save()
    for index, number in enumerate(numbers):
        _add_phone(customer, number, primary=index == 0)
    if data.address.strip():
        _save_address(customer, data.address, recipient=customer.name, phone=numbers[0], default=True)
    record("create_customer", customer, actor=actor, after={**snapshot(customer), "phones": numbers})
    publish_on_commit("customer.created", {"customer_id": customer.pk})
    return customer


@transaction.atomic
def do_update_customer(customer: Customer, changes: dict[str, Any], *, actor: Any) -> Customer:
    """Change a customer's own fields (not numbers, see `do_add_phone`)."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    before = snapshot(customer)
    editable = {"name", "gender", "birthday", "birthday_lunar", "level", "email", "notify_channel", "notes",
                "credit", "credit_reason", "member_no", "fax"}
    unknown = set(changes) - editable
    if unknown:
        raise ValidationError(_("These fields cannot be changed here: %(fields)s")
                              % {"fields": ", ".join(sorted(unknown))})
    for name, value in changes.items():
        setattr(customer, name, value)
    customer.full_clean()
    customer.save()
    record("update_customer", customer, actor=actor, before=before, after=snapshot(customer))
    return customer


@transaction.atomic
def do_add_phone(customer: Customer, raw: str, *, actor: Any, allow_duplicate: bool = False) -> CustomerPhone:
    """Add a number to a customer; refused if it is another customer's, unless allowed."""
    number = normalize_phone(raw)
    if customer.phones.filter(number=number).exists():
        raise ValidationError({"phones": _("%(number)s is already on this customer.") % {"number": number}})
    if not allow_duplicate:
        _check_not_duplicate([number], exclude_pk=customer.pk)
    phone = _add_phone(customer, number, primary=not customer.phones.exists())
    record("add_phone", customer, actor=actor, after={"number": number})
    return phone


def _save_address(customer: Customer, text: str, *, recipient: str, phone: str, default: bool) -> Address:
    text = text.strip()
    if len(text) > 300:
        raise ValidationError({"address": _("An address has at most 300 characters.")})
    parsed = parse_address(text)
    if default:
        customer.addresses.update(is_default=False)
    address = Address(customer=customer, recipient=recipient, phone=phone, province=parsed.province,
                      city=parsed.city, district=parsed.district, detail=parsed.detail, raw=text,
                      is_default=default)
    address.full_clean()
    address.save()
    return address


@transaction.atomic
def do_add_address(customer: Customer, text: str, *, actor: Any, recipient: str = "", phone: str = "",
                   default: bool = False) -> Address:
    """Add a delivery address typed as free text, parsed into province / city / district."""
    recipient_phone = normalize_phone(phone) if phone else customer.primary_phone()
    address = _save_address(customer, text, recipient=recipient or customer.name, phone=recipient_phone,
                            default=default or not customer.addresses.exists())
    record("add_address", customer, actor=actor, after=snapshot(address))
    return address


@transaction.atomic
def do_set_member_pin(customer: Customer, pin: str, *, actor: Any) -> None:
    """Set the PIN a member types in the IVR (4 to 8 digits); only its hash is kept."""
    require_perm(actor, Perm.SET_MEMBER_PIN)
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        raise ValidationError({"pin": _("A PIN is 4 to 8 digits.")})
    if not customer.member_no:
        raise ValidationError({"pin": _("Give the customer a member number before a PIN.")})
    before = snapshot(customer)
    customer.pin_hash = make_password(pin)
    customer.save(update_fields=["pin_hash"])
    record("set_member_pin", customer, actor=actor, before=before, after=snapshot(customer))


@transaction.atomic
def do_reset_member_pin(customer: Customer, *, actor: Any) -> bool:
    """Forget a member's PIN (they forgot it): the IVR member check fails until a new one is set.
    False when the customer had no PIN (nothing changes, nothing is audited)."""
    require_perm(actor, Perm.SET_MEMBER_PIN)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not customer.pin_hash:
        return False
    before = snapshot(customer)
    customer.pin_hash = ""
    customer.save(update_fields=["pin_hash"])
    record("reset_member_pin", customer, actor=actor, before=before, after=snapshot(customer))
    return True


def verify_member_pin(member_no: str, pin: str) -> Customer | None:
    """The member whose number and PIN match, or None (no hint which part was wrong)."""
    customer = Customer.objects.filter(member_no=member_no).first()
    if customer is None or not customer.pin_hash:
        make_password(pin)  # same work either way, so timing tells nothing
        return None
    return customer if check_password(pin, customer.pin_hash) else None


@transaction.atomic
def do_report_number(raw: str, *, actor: Any, reason: str = "") -> BlacklistEntry:
    """Report a nuisance number. At `HOTLINE_BLACKLIST_THRESHOLD` reports it is blacklisted (warn)."""
    require_perm(actor, Perm.REPORT_NUMBER)
    number = normalize_phone(raw)
    if len(reason) > 200:
        raise ValidationError({"reason": _("A reason has at most 200 characters.")})
    BlacklistEntry.objects.bulk_create([BlacklistEntry(number=number, created_by=actor if actor else None)],
                                       ignore_conflicts=True)
    entry = BlacklistEntry.objects.select_for_update().get(number=number)
    before = snapshot(entry)
    BlacklistReport.objects.create(entry=entry, reported_by=actor, reason=reason)
    entry.report_count += 1
    entry.reason = entry.reason or reason
    if not entry.active and entry.report_count >= settings.HOTLINE_BLACKLIST_THRESHOLD:
        entry.active = True
        entry.activated_at = timezone.now()
        publish_on_commit("blacklist.activated", {"number": number, "action": entry.action})
    entry.save()
    record("report_number", entry, actor=actor, before=before, after=snapshot(entry))
    return entry


@transaction.atomic
def do_blacklist_number(raw: str, *, actor: Any, action: str = BlacklistAction.WARN,
                        reason: str = "") -> BlacklistEntry:
    """Blacklist a number at once with the given action (warn the agent or reject the call)."""
    number = normalize_phone(raw)
    if action not in BlacklistAction.values:
        raise ValidationError({"action": _("Choose warn or reject.")})
    entry, _created = BlacklistEntry.objects.select_for_update().get_or_create(
        number=number, defaults={"created_by": actor})
    before = snapshot(entry)
    entry.action, entry.active, entry.reason = action, True, reason or entry.reason
    entry.activated_at = entry.activated_at or timezone.now()
    entry.full_clean()
    entry.save()
    record("blacklist_number", entry, actor=actor, before=before, after=snapshot(entry))
    publish_on_commit("blacklist.activated", {"number": number, "action": action})
    return entry


@transaction.atomic
def do_lift_blacklist(entry: BlacklistEntry, *, actor: Any, reason: str = "") -> BlacklistEntry:
    """Take a number off the blacklist; its reports are kept, the count starts again from zero."""
    require_perm(actor, Perm.MANAGE_BLACKLIST)
    if len(reason) > 200:
        raise ValidationError({"reason": _("A reason has at most 200 characters.")})
    entry = BlacklistEntry.objects.select_for_update().get(pk=entry.pk)
    before = snapshot(entry)
    entry.active, entry.report_count, entry.activated_at = False, 0, None
    entry.save()
    record("lift_blacklist", entry, actor=actor, before=before, after={**snapshot(entry), "why": reason})
    return entry
