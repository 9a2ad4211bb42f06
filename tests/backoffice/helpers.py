"""Helpers for back-office tests: English clients, admin form data, spreadsheets built in memory."""

from __future__ import annotations

import datetime
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from hotline.accounts.models import User
from hotline.lib.xlsx import write_csv
from hotline.orders.actions import LineInput, OrderInput, do_create_order, do_transition_order
from hotline.orders.models import Order


def english_client(user: User | None = None) -> Client:
    """A browser asking for English pages, logged in as `user` when given."""
    client = Client(headers={"accept-language": "en"})
    if user is not None:
        client.force_login(user)
    return client


def admin_url(model: str, view: str = "changelist", *args: Any) -> str:
    """`admin_url("crm/customer", "change", 5)` -> /admin/crm/customer/5/change/."""
    app, name = model.split("/")
    return reverse(f"admin:{app}_{name}_{view}", args=args)


def xlsx_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    """A one-sheet workbook with these rows (the first one is the header)."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_stream(rows: Sequence[Sequence[Any]]) -> io.BytesIO:
    return io.BytesIO(xlsx_bytes(rows))


def xlsx_upload(rows: Sequence[Sequence[Any]], name: str = "data.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, xlsx_bytes(rows),
                              content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def csv_stream(rows: Sequence[Sequence[Any]]) -> io.BytesIO:
    return io.BytesIO(write_csv([str(cell) for cell in rows[0]], rows[1:]))


def read_xlsx(content: bytes) -> list[tuple[Any, ...]]:
    """Every row of the first sheet of a workbook."""
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


# ---------------------------------------------------------------- admin change forms

def _encode(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _field_data(name: str, field: forms.Field, value: Any) -> dict[str, Any]:
    if isinstance(field.widget, forms.MultiWidget):
        parts = field.widget.decompress(value)
        return {f"{name}_{index}": _encode(part) for index, part in enumerate(parts)}
    if isinstance(field, forms.BooleanField):
        return {name: "on"} if value else {}
    if isinstance(value, list | tuple):
        return {name: [_encode(item) for item in value]}
    return {name: _encode(value)}


def _form_data(form: forms.BaseForm) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        data.update(_field_data(form.add_prefix(name), field, form[name].value()))
    return data


def form_data(response: Any, **changes: Any) -> dict[str, Any]:
    """What the admin change page would post back unchanged, plus `changes` (POST names)."""
    data = _form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_data(formset.management_form))
        for form in formset.initial_forms:
            data.update(_form_data(form))
    data.update(changes)
    return data


# ---------------------------------------------------------------- orders

def place_order(world: Any, agent: User, quantity: int = 1) -> Order:
    """An order for the world's customer, to their saved address, as the agent takes it."""
    address = world.customer.addresses.first()
    order, _created = do_create_order(OrderInput(customer_id=world.customer.pk, address_id=address.pk,
                                                 lines=[LineInput(world.product.pk, quantity)]), actor=agent)
    return order


def move(order: Order, users: dict[str, User], *statuses: str, reason: str = "test") -> Order:
    """Walk the order through `statuses`, each step by a role allowed to make it."""
    who = {"reviewed": "logistics", "shipped": "logistics", "delivered": "logistics", "settled": "finance",
           "cancelled": "logistics", "refused": "logistics", "returned": "logistics"}
    for status in statuses:
        order = do_transition_order(order, status, actor=users[who[status]], reason=reason)
    return order
