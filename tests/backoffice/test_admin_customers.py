"""Customers in the back office: created and changed through the crm actions, found by any number."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from hotline.accounts.models import AuditEntry
from hotline.crm.models import Address, BlacklistEntry, Customer, CustomerPhone
from tests import factories
from tests.backoffice.helpers import admin_url, form_data

NEW_CUSTOMER = {"name": "李娜", "phones": "138-0013-8001, +86 139 0013 9000", "address": "浙江省杭州市西湖区文三路90号",
                "gender": "f", "level": "normal", "notify_channel": "sms", "member_no": "", "notes": ""}


def test_adding_a_customer_normalises_numbers_and_parses_the_address(
        users: dict[str, Any], client_as: Callable[[str | None], Client]) -> None:
    response = client_as("supervisor").post(admin_url("crm/customer", "add"), NEW_CUSTOMER)
    assert response.status_code == 302
    customer = Customer.objects.get(name="李娜")
    phones = list(customer.phones.order_by("-is_primary", "id").values_list("number", "is_primary", "province"))
    assert phones == [("13800138001", True, "北京"), ("13900139000", False, "上海")]
    address = customer.addresses.get()
    assert (address.province, address.city, address.district, address.detail, address.is_default) == (
        "浙江", "杭州", "西湖区", "文三路90号", True)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.after["phones"]) == (
        "create_customer", users["supervisor"], ["13800138001", "13900139000"])


def test_a_number_of_another_customer_is_refused_unless_shared(
        world: Any, users: dict[str, Any], client_as: Callable[[str | None], Client]) -> None:
    client = client_as("supervisor")
    response = client.post(admin_url("crm/customer", "add"), {**NEW_CUSTOMER, "phones": "+86 138 0013 8000"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "phones": [f"13800138000 already belongs to customer 王小明 (#{world.customer.pk})."]}
    assert Customer.objects.count() == 1
    assert not AuditEntry.objects.exists()
    # a family landline may be shared when the agent says so
    response = client.post(admin_url("crm/customer", "add"),
                           {**NEW_CUSTOMER, "phones": "13800138000", "allow_duplicate": "on"})
    assert response.status_code == 302
    assert CustomerPhone.objects.filter(number="13800138000").count() == 2


def test_bad_numbers_are_refused_with_the_reason(users: dict[str, Any],
                                                 client_as: Callable[[str | None], Client]) -> None:
    response = client_as("admin").post(admin_url("crm/customer", "add"), {**NEW_CUSTOMER, "phones": "12345, 138001"})
    assert response.context["adminform"].form.errors == {"phones": [
        "“12345” is not a valid Chinese mobile or landline number.",
        "“138001” is not a valid Chinese mobile or landline number."]}
    assert not Customer.objects.exists()


def test_changing_a_customer_goes_through_update_customer(
        world: Any, users: dict[str, Any], client_as: Callable[[str | None], Client]) -> None:
    client = client_as("supervisor")
    page = client.get(admin_url("crm/customer", "change", world.customer.pk))
    response = client.post(admin_url("crm/customer", "change", world.customer.pk),
                           form_data(page, level="vip", credit="watch", credit_reason="refused twice"))
    assert response.status_code == 302
    world.customer.refresh_from_db()
    assert (world.customer.level, world.customer.credit, world.customer.credit_reason) == (
        "vip", "watch", "refused twice")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.before["level"], entry.after["level"], entry.before["credit"]) == (
        "update_customer", "normal", "vip", "good")


@pytest.mark.parametrize(("role", "edits"), [("supervisor", True), ("admin", True), ("logistics", False),
                                             ("finance", False), ("manager", False)])
def test_numbers_and_addresses_are_edited_by_who_may_change_the_customer(
        role: str, edits: bool, world: Any, client_as: Callable[[str | None], Client]) -> None:
    response = client_as(role).get(admin_url("crm/customer", "change", world.customer.pk))
    phones, addresses = response.context["inline_admin_formsets"]
    assert [form.original.number for form in phones if form.original] == ["13800138000"]
    for inline in (phones, addresses):
        assert inline.has_view_permission
        assert (inline.has_add_permission, inline.has_change_permission, inline.has_delete_permission) == (
            edits, edits, edits)


@pytest.mark.parametrize("role", ["admin", "supervisor"])
def test_a_number_added_inline_goes_through_add_phone(
        role: str, world: Any, users: dict[str, Any], client_as: Callable[[str | None], Client]) -> None:
    client = client_as(role)
    page = client.get(admin_url("crm/customer", "change", world.customer.pk))
    data = form_data(page, **{"phones-TOTAL_FORMS": "2", "phones-1-number": "+86 (20) 8765-4321",
                              "phones-1-customer": str(world.customer.pk)})
    assert client.post(admin_url("crm/customer", "change", world.customer.pk), data).status_code == 302
    added = world.customer.phones.get(number="02087654321")
    assert (added.kind, added.province, added.city, added.is_primary) == ("landline", "广东", "广州", False)
    assert list(AuditEntry.objects.values_list("action", "after", "actor")) == [
        ("add_phone", {"number": "02087654321"}, users[role].pk)]


def test_a_number_of_another_customer_cannot_be_added_inline(
        world: Any, client_as: Callable[[str | None], Client], users: dict[str, Any]) -> None:
    other = factories.make_customer("张伟", phone="13900001111")
    client = client_as("admin")
    page = client.get(admin_url("crm/customer", "change", world.customer.pk))
    data = form_data(page, **{"phones-TOTAL_FORMS": "2", "phones-1-number": "139 0000 1111",
                              "phones-1-customer": str(world.customer.pk)})
    response = client.post(admin_url("crm/customer", "change", world.customer.pk), data)
    assert response.status_code == 200
    phones = response.context["inline_admin_formsets"][0].formset
    assert phones.errors[1] == {"number": [f"13900001111 already belongs to customer 张伟 (#{other.pk})."]}
    assert world.customer.phones.count() == 1
    assert not AuditEntry.objects.exists()


def test_the_last_number_cannot_be_deleted(world: Any, client_as: Callable[[str | None], Client],
                                           users: dict[str, Any]) -> None:
    client = client_as("admin")
    page = client.get(admin_url("crm/customer", "change", world.customer.pk))
    response = client.post(admin_url("crm/customer", "change", world.customer.pk),
                           form_data(page, **{"phones-0-DELETE": "on"}))
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.non_form_errors() == [
        "A customer needs at least one phone number."]
    assert world.customer.phones.count() == 1


def test_a_new_address_typed_inline_is_parsed(world: Any, client_as: Callable[[str | None], Client],
                                              users: dict[str, Any]) -> None:
    client = client_as("admin")
    page = client.get(admin_url("crm/customer", "change", world.customer.pk))
    data = form_data(page, **{"addresses-TOTAL_FORMS": "2", "addresses-1-raw": "北京市朝阳区建国路88号",
                              "addresses-1-recipient": "", "addresses-1-phone": "", "addresses-1-is_default": "on",
                              "addresses-1-customer": str(world.customer.pk)})
    assert client.post(admin_url("crm/customer", "change", world.customer.pk), data).status_code == 302
    rows = list(Address.objects.filter(customer=world.customer).order_by("id")
                .values_list("province", "city", "district", "detail", "is_default", "recipient", "phone"))
    assert rows == [("广东", "深圳", "南山区", "科技园南路18号", False, "王小明", "13800138000"),
                    ("北京", "北京", "朝阳区", "建国路88号", True, "王小明", "13800138000")]
    assert AuditEntry.objects.filter(action="add_address").count() == 1


def test_search_finds_a_customer_by_any_notation_of_a_number(world: Any, client_as: Callable[[str | None], Client],
                                                             users: dict[str, Any]) -> None:
    factories.make_customer("张伟", phone="13900001111", member_no="M0001")
    client = client_as("logistics")

    def found(term: str) -> list[str]:
        response = client.get(admin_url("crm/customer"), {"q": term})
        return [customer.name for customer in response.context["cl"].result_list]

    assert found("+86 138-0013-8000") == ["王小明"]
    assert found("008613800138000") == ["王小明"]
    assert found("M0001") == ["张伟"]
    assert found("张") == ["张伟"]
    assert found("13912345678") == []


def test_import_link_only_for_those_who_may_import(world: Any, client_as: Callable[[str | None], Client]) -> None:
    import_url = admin_url("crm/customer", "import")
    assert import_url in client_as("admin").get(admin_url("crm/customer")).content.decode()
    page = client_as("manager").get(admin_url("crm/customer")).content.decode()
    assert import_url not in page
    assert admin_url("crm/customer", "export") in page


def test_blacklist_add_and_lift(users: dict[str, Any], client_as: Callable[[str | None], Client]) -> None:
    response = client_as("admin").post(admin_url("crm/blacklistentry", "add"),
                                       {"number": "+86 139 1234 5678", "action": "reject", "reason": "toll fraud"})
    assert response.status_code == 302
    entry = BlacklistEntry.objects.get()
    assert (entry.number, entry.action, entry.active, entry.reason) == ("13912345678", "reject", True, "toll fraud")
    # the supervisor lifts it from the list
    response = client_as("supervisor").post(admin_url("crm/blacklistentry"), {
        "action": "lift_selected", "_selected_action": [entry.pk], "index": "0"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.active, entry.report_count) == (False, 0)
    assert list(AuditEntry.objects.order_by("id").values_list("action", "actor_name")) == [
        ("blacklist_number", "t_admin"), ("lift_blacklist", "t_supervisor")]


def test_an_action_refusing_after_the_form_passed_rolls_back_and_says_why(
        world: Any, users: dict[str, Any], client_as: Callable[[str | None], Client], monkeypatch: Any) -> None:
    # given an action that refuses what the form accepted (as when another user got there first)
    from django.core.exceptions import ValidationError

    import hotline.crm.admin

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ValidationError("13900001111 was just given to another customer.")

    monkeypatch.setattr(hotline.crm.admin, "do_add_phone", refuse)
    client = client_as("admin")
    url = admin_url("crm/customer", "change", world.customer.pk)
    page = client.get(url)
    data = form_data(page, level="vip", **{"phones-TOTAL_FORMS": "2", "phones-1-number": "13900001111",
                                           "phones-1-customer": str(world.customer.pk)})
    # when the admin saves, then they are told why, and the level saved before the refusal is rolled back
    response = client.post(url, data, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["13900001111 was just given to another customer."]
    assert response.redirect_chain == [(url, 302)]
    world.customer.refresh_from_db()
    assert (world.customer.level, world.customer.phones.count()) == ("normal", 1)
    assert not AuditEntry.objects.exists()
