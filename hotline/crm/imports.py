"""Customers from and to Excel. A row is matched to an existing customer by any of its phone numbers
(several numbers in one cell, separated by commas); a matched customer is updated, new numbers and a
new address are added to them, nothing is ever removed. A blank choice cell keeps the current value."""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.crm.actions import (
    CustomerData,
    do_add_address,
    do_add_phone,
    do_create_customer,
    do_update_customer,
)
from hotline.crm.models import Customer, CustomerPhone, Gender, Level
from hotline.lib.phones import normalize_phones
from hotline.lib.xlsx import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Column,
    Row,
    RowParser,
    TableImport,
    parse_bool,
    parse_choice,
    parse_date,
    parse_text,
)

PHONE_SEPARATORS = re.compile(r"[,，;；/、\n]+")
GENDER_ALIASES = {"男": Gender.MALE, "女": Gender.FEMALE, "未知": Gender.UNKNOWN, "先生": Gender.MALE,
                  "女士": Gender.FEMALE}
LEVEL_ALIASES = {"普通": Level.NORMAL, "普通会员": Level.NORMAL, "贵宾": Level.VIP, "vip会员": Level.VIP}
# Fields a re-import may change on an existing customer (the same ones do_update_customer accepts).
UPDATABLE = ("name", "gender", "birthday", "birthday_lunar", "level", "member_no", "email", "notes")


def parse_phones(value: Any) -> list[str]:
    """Every number in the cell, normalised, without repeats; one error per bad number."""
    parts = [part.strip() for part in PHONE_SEPARATORS.split(parse_text(value)) if part.strip()]
    return normalize_phones(parts)


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


class CustomerImport(TableImport):
    """Customers: name and phone are required; the phone numbers are the natural key."""

    columns = (
        Column("name", gettext_lazy("name"), ("姓名", "客户姓名", "客户", "名字"), required=True),
        Column("phone", gettext_lazy("phone"), ("电话", "手机", "手机号", "手机号码", "电话号码", "联系电话",
                                                "phones", "phone number"), required=True),
        Column("gender", gettext_lazy("gender"), ("性别",)),
        Column("birthday", gettext_lazy("birthday"), ("生日", "出生日期")),
        Column("birthday_lunar", gettext_lazy("lunar birthday"), ("农历", "农历生日", "lunar")),
        Column("level", gettext_lazy("level"), ("等级", "会员等级", "客户等级")),
        Column("member_no", gettext_lazy("member number"), ("会员号", "会员编号", "member no")),
        Column("email", gettext_lazy("e-mail"), ("邮箱", "电子邮件", "email")),
        Column("address", gettext_lazy("address"), ("地址", "收货地址", "送货地址", "联系地址")),
        Column("notes", gettext_lazy("notes"), ("备注",)),
    )
    field_columns = {"phones": "phone"}
    key_label = gettext_lazy("phone")
    sheet_title = gettext_lazy("customers")

    def parse(self, row: Row) -> dict[str, Any]:
        parser = RowParser(row)
        parser.take("name", parse_text, required=True)
        parser.take("phone", parse_phones, required=True)
        parser.take("gender", lambda v: parse_choice(v, Gender, GENDER_ALIASES))
        parser.take("birthday", parse_date)
        parser.take("birthday_lunar", parse_bool)
        parser.take("level", lambda v: parse_choice(v, Level, LEVEL_ALIASES))
        parser.take("member_no", lambda v: parse_text(v) or None)
        parser.take("email", parse_text)
        parser.take("address", parse_text)
        parser.take("notes", parse_text)
        return parser.done()

    def keys(self, data: dict[str, Any]) -> list[Hashable]:
        return list(data["phone"])

    def apply(self, data: dict[str, Any]) -> str:
        customer = self._existing(data["phone"], data["name"])
        if customer is None:
            self._create(data)
            return CREATED
        return UPDATED if self._update(customer, data) else UNCHANGED

    def _existing(self, numbers: list[str], name: str) -> Customer | None:
        """The customer holding these numbers; a number shared by several is decided by the name."""
        ids = set(CustomerPhone.objects.filter(number__in=numbers).values_list("customer_id", flat=True))
        if len(ids) <= 1:
            return Customer.objects.filter(pk__in=ids).first()
        named = list(Customer.objects.filter(pk__in=ids, name=name)[:2])
        if len(named) == 1:
            return named[0]
        raise ValidationError({"phones": _("These numbers belong to several customers (#%(ids)s); merge them "
                                           "or import the row with one number.")
                               % {"ids": ", #".join(str(pk) for pk in sorted(ids))}})

    def _create(self, data: dict[str, Any]) -> None:
        fields = {name: data[name] for name in UPDATABLE if data.get(name) is not None}
        do_create_customer(CustomerData(phones=data["phone"], address=data.get("address", ""), **fields),
                           actor=self.actor)

    def _update(self, customer: Customer, data: dict[str, Any]) -> bool:
        """Apply the row's differences; True when anything changed."""
        changes = {name: data[name] for name in UPDATABLE
                   if name in data and not (data[name] is None and name in ("gender", "level"))
                   and getattr(customer, name) != data[name]}
        if changes:
            do_update_customer(customer, changes, actor=self.actor)
        known = set(customer.phones.values_list("number", flat=True))
        new_numbers = [number for number in data["phone"] if number not in known]
        for number in new_numbers:
            do_add_phone(customer, number, actor=self.actor)
        new_address = self._new_address(customer, data.get("address", ""))
        if new_address:
            do_add_address(customer, new_address, actor=self.actor, default=True)
        return bool(changes or new_numbers or new_address)

    @staticmethod
    def _new_address(customer: Customer, text: str) -> str:
        if not text:
            return ""
        for address in customer.addresses.all():
            if _same_text(text, address.raw) or _same_text(text, address.full_text):
                return ""
        return text

    @classmethod
    def export_queryset(cls, queryset: QuerySet[Customer]) -> QuerySet[Customer]:
        return queryset.prefetch_related("phones", "addresses")

    @classmethod
    def export_values(cls, obj: Customer) -> dict[str, Any]:
        phones = sorted(obj.phones.all(), key=lambda p: (not p.is_primary, p.pk))
        addresses = sorted(obj.addresses.all(), key=lambda a: (not a.is_default, a.pk))
        address = (addresses[0].raw or addresses[0].full_text) if addresses else ""
        return {
            "name": obj.name, "phone": ", ".join(p.number for p in phones), "gender": obj.get_gender_display(),
            "birthday": obj.birthday, "birthday_lunar": _("Yes") if obj.birthday_lunar else _("No"),
            "level": obj.get_level_display(), "member_no": obj.member_no or "", "email": obj.email,
            "address": address, "notes": obj.notes,
        }
