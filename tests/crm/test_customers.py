"""Customers: creation with normalised numbers, duplicates by phone, look-up in any notation,
member PINs, addresses, salutations, and refusals that write nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from hotline.accounts.models import AuditEntry
from hotline.crm.actions import (
    CustomerData,
    DuplicateCustomer,
    do_add_address,
    do_add_phone,
    do_create_customer,
    do_set_member_pin,
    do_update_customer,
    verify_member_pin,
)
from hotline.crm.models import Address, Customer, CustomerPhone
from hotline.crm.queries import customer_by_phone, customers_by_phone, duplicate_numbers
from tests import factories


def crm_state() -> dict[str, Any]:
    return {
        "customers": list(Customer.objects.order_by("pk").values_list("pk", "name", "notes", "pin_hash",
                                                                      "member_no", "level")),
        "phones": list(CustomerPhone.objects.order_by("pk").values_list("pk", "customer_id", "number",
                                                                         "is_primary")),
        "addresses": list(Address.objects.order_by("pk").values_list("pk", "customer_id", "raw", "is_default")),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def wang(db: Any) -> Customer:
    return factories.make_customer()  # 王小明, male, 13800138000, an address in Shenzhen


# ---------------------------------------------------------------- creating

def test_create_normalises_numbers_and_derives_region_and_carrier(
        agent: Any, events: list[Any], django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        customer = do_create_customer(CustomerData(
            name="  李娜 ", gender="f", phones=["+86 139-1234-5678", "(020) 8765 4321", "13912345678"],
            address="浙江杭州西湖区文三路1号", email="lina@example.com"), actor=agent)
    assert (customer.name, customer.gender, customer.email) == ("李娜", "f", "lina@example.com")
    assert list(customer.phones.order_by("pk").values_list(
        "number", "kind", "province", "city", "carrier", "is_primary")) == [
        ("13912345678", "mobile", "江苏", "常州", "移动", True),
        ("02087654321", "landline", "广东", "广州", "", False),
    ]
    assert list(customer.addresses.values_list("recipient", "phone", "province", "city", "district", "detail",
                                               "raw", "is_default")) == [
        ("李娜", "13912345678", "浙江", "杭州", "西湖区", "文三路1号", "浙江杭州西湖区文三路1号", True)]
    entry = AuditEntry.objects.get(action="create_customer")
    assert entry.after is not None
    assert (entry.actor, entry.after["name"], entry.after["phones"]) == (agent, "李娜", ["13912345678", "02087654321"])
    assert events == [("customer.created", {"customer_id": customer.pk})]


@pytest.mark.parametrize(("phones", "errors"), [
    ([], ["Enter at least one phone number."]),
    (["   "], ["Enter a phone number."]),
    (["12345", "abc"], ["“12345” is not a valid Chinese mobile or landline number.",
                        "“abc” is not a phone number: use digits only."]),
    (["13912345678", "+1 212 555 1234"], ["Only Chinese numbers (+86) are supported."]),
])
def test_bad_numbers_are_refused_and_nothing_is_written(db: Any, agent: Any, phones: list[str],
                                                       errors: list[str]) -> None:
    before = crm_state()
    with pytest.raises(ValidationError) as refused:
        do_create_customer(CustomerData(name="李娜", phones=phones), actor=agent)
    assert refused.value.message_dict == {"phones": errors}
    assert crm_state() == before


@pytest.mark.parametrize(("fields", "errors"), [
    ({"name": "   "}, {"name": ["This field cannot be blank."]}),
    ({"notes": "备" * 4001}, {"notes": ["At most 4000 characters."]}),
    ({"gender": "x"}, {"gender": ["Value 'x' is not a valid choice."]}),
    ({"email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
    ({"address": "北京" * 151}, {"address": ["An address has at most 300 characters."]}),
])
def test_bad_fields_are_refused_and_nothing_is_written(db: Any, agent: Any, fields: dict[str, Any],
                                                      errors: dict[str, list[str]]) -> None:
    before = crm_state()
    data = CustomerData(**{"name": "李娜", "phones": ["13912345678"], **fields})
    with pytest.raises(ValidationError) as refused:
        do_create_customer(data, actor=agent)
    assert refused.value.message_dict == errors
    assert crm_state() == before


def test_notes_of_4000_characters_are_accepted(db: Any, agent: Any) -> None:
    customer = do_create_customer(CustomerData(name="李娜", phones=["13912345678"], notes="备" * 4000), actor=agent)
    assert len(customer.notes) == 4000


# ---------------------------------------------------------------- duplicates

def test_a_number_of_another_customer_is_a_duplicate(wang: Customer, agent: Any) -> None:
    # Given 王小明 has 13800138000
    before = crm_state()
    # When an agent creates another customer with that number in another notation
    with pytest.raises(DuplicateCustomer) as duplicate:
        do_create_customer(CustomerData(name="王大明", phones=["13912345678", "+86 138-0013-8000"]), actor=agent)
    # Then it is refused, naming the customer who has it, and nothing is written
    assert duplicate.value.existing == wang
    assert duplicate.value.message_dict == {"phones": [f"13800138000 already belongs to customer 王小明 (#{wang.pk})."]}
    assert crm_state() == before
    assert list(duplicate_numbers()) == []


def test_a_duplicate_may_be_allowed_and_is_then_listed(wang: Customer, agent: Any) -> None:
    # a shared family landline, or a couple's one phone
    wife = do_create_customer(CustomerData(name="张丽", gender="f", phones=["0086 138 0013 8000"]), actor=agent,
                              allow_duplicate=True)
    assert list(duplicate_numbers()) == [{"number": "13800138000", "customers": 2}]
    assert customers_by_phone("13800138000") == [wife, wang]
    assert customer_by_phone("13800138000") == wife


def test_adding_a_number_checks_duplicates_too(wang: Customer, agent: Any) -> None:
    other = factories.make_customer("李娜", "13912345678", gender="f")
    before = crm_state()
    with pytest.raises(DuplicateCustomer) as duplicate:
        do_add_phone(other, "138 0013 8000", actor=agent)
    assert duplicate.value.existing == wang
    with pytest.raises(ValidationError) as again:
        do_add_phone(other, "+86 139 1234 5678", actor=agent)
    assert again.value.message_dict == {"phones": ["13912345678 is already on this customer."]}
    assert crm_state() == before
    phone = do_add_phone(other, "010-6234 5678", actor=agent)
    assert (phone.number, phone.kind, phone.province, phone.city, phone.is_primary) == (
        "01062345678", "landline", "北京", "北京", False)
    assert AuditEntry.objects.get(action="add_phone").after == {"number": "01062345678"}


# ---------------------------------------------------------------- look-up

@pytest.mark.parametrize("notation", [
    "13800138000", "+8613800138000", "+86 138 0013 8000", "008613800138000", "0086-138-0013-8000",
    "8613800138000", "138-0013-8000", "138 0013 8000", " 13800138000 ", "013800138000", "１３８００１３８０００",
])
def test_look_up_by_any_notation(wang: Customer, notation: str) -> None:
    assert customers_by_phone(notation) == [wang]
    assert customer_by_phone(notation) == wang


def test_look_up_by_a_second_number(wang: Customer, agent: Any) -> None:
    do_add_phone(wang, "020-87654321", actor=agent)
    assert customer_by_phone("+86 20 8765 4321") == wang


@pytest.mark.parametrize("notation", ["13900000000", "", "abc", "+1 212 555 1234", "1" * 40])
def test_look_up_of_unknown_or_invalid_numbers_finds_nobody(wang: Customer, notation: str) -> None:
    assert customers_by_phone(notation) == []
    assert customer_by_phone(notation) is None


# ---------------------------------------------------------------- member PIN

def test_a_member_pin_is_hashed_and_verified(wang: Customer, agent: Any) -> None:
    wang = do_update_customer(wang, {"member_no": "M000123"}, actor=agent)
    do_set_member_pin(wang, "2468", actor=agent)
    stored = Customer.objects.get(pk=wang.pk).pin_hash
    assert stored.startswith("md5$") and "2468" not in stored  # tests use the fast hasher
    assert verify_member_pin("M000123", "2468") == wang
    assert verify_member_pin("M000123", "2469") is None
    assert verify_member_pin("M999999", "2468") is None
    assert verify_member_pin("M000123", "") is None
    entry = AuditEntry.objects.get(action="set_member_pin")
    assert (entry.before["pin_hash"], entry.after["pin_hash"]) == ("", "***")  # type: ignore[index]


def test_a_member_without_pin_is_not_verified(wang: Customer, agent: Any) -> None:
    wang = do_update_customer(wang, {"member_no": "M000123"}, actor=agent)
    assert verify_member_pin("M000123", "") is None
    assert verify_member_pin("M000123", "1234") is None


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", "", "12 34", "１２３４", "-123"])
def test_a_pin_is_four_to_eight_digits(wang: Customer, agent: Any, pin: str) -> None:
    wang = do_update_customer(wang, {"member_no": "M000123"}, actor=agent)
    before = crm_state()
    with pytest.raises(ValidationError) as refused:
        do_set_member_pin(wang, pin, actor=agent)
    assert refused.value.message_dict == {"pin": ["A PIN is 4 to 8 digits."]}
    assert crm_state() == before


@pytest.mark.parametrize("pin", ["1234", "12345678"])
def test_pins_of_four_and_eight_digits_are_accepted(wang: Customer, agent: Any, pin: str) -> None:
    wang = do_update_customer(wang, {"member_no": "M000123"}, actor=agent)
    do_set_member_pin(wang, pin, actor=agent)
    assert verify_member_pin("M000123", pin) == wang


def test_a_pin_needs_a_member_number(wang: Customer, agent: Any) -> None:
    before = crm_state()
    with pytest.raises(ValidationError) as refused:
        do_set_member_pin(wang, "2468", actor=agent)
    assert refused.value.message_dict == {"pin": ["Give the customer a member number before a PIN."]}
    assert crm_state() == before


def test_member_numbers_are_unique(wang: Customer, agent: Any) -> None:
    wang = do_update_customer(wang, {"member_no": "M000123"}, actor=agent)
    before = crm_state()
    with pytest.raises(ValidationError) as refused:
        do_create_customer(CustomerData(name="李娜", phones=["13912345678"], member_no="M000123"), actor=agent)
    assert refused.value.message_dict == {"member_no": ["Customer with this Member number already exists."]}
    assert crm_state() == before


# ---------------------------------------------------------------- updating, addresses

def test_update_records_before_and_after(wang: Customer, agent: Any) -> None:
    do_update_customer(wang, {"level": "vip", "credit": "watch", "credit_reason": "拒收两次"}, actor=agent)
    entry = AuditEntry.objects.get(action="update_customer")
    assert entry.before is not None and entry.after is not None
    assert (entry.before["level"], entry.after["level"], entry.after["credit_reason"]) == ("normal", "vip", "拒收两次")


def test_update_refuses_fields_it_does_not_own(wang: Customer, agent: Any) -> None:
    before = crm_state()
    with pytest.raises(ValidationError) as refused:
        do_update_customer(wang, {"points": 10_000, "pin_hash": "x", "name": "x"}, actor=agent)
    assert refused.value.messages == ["These fields cannot be changed here: pin_hash, points"]
    assert crm_state() == before


def test_update_refuses_oversized_notes(wang: Customer, agent: Any) -> None:
    before = crm_state()
    with pytest.raises(ValidationError) as refused:
        do_update_customer(wang, {"notes": "x" * 4001}, actor=agent)
    assert refused.value.message_dict == {"notes": ["At most 4000 characters."]}
    assert crm_state() == before


def test_addresses_are_parsed_and_one_is_default(wang: Customer, agent: Any) -> None:
    address = do_add_address(wang, "  新疆乌鲁木齐市天山区解放北路1号 ", actor=agent, recipient="王大明",
                             phone="+86 139 1234 5678", default=True)
    assert (address.recipient, address.phone, address.province, address.city, address.district,
            address.detail, address.full_text) == (
        "王大明", "13912345678", "新疆", "乌鲁木齐", "天山区", "解放北路1号", "新疆乌鲁木齐天山区解放北路1号")
    assert list(wang.addresses.values_list("province", "is_default")) == [("新疆", True), ("广东", False)]
    other = do_add_address(wang, "随便写的地址", actor=agent)
    assert (other.province, other.city, other.district, other.detail, other.phone, other.is_default) == (
        "", "", "", "随便写的地址", "13800138000", False)


def test_a_municipality_is_named_once(wang: Customer, agent: Any) -> None:
    address = do_add_address(wang, "北京市朝阳区建国路88号", actor=agent)
    assert (address.province, address.city, address.full_text) == ("北京", "北京", "北京朝阳区建国路88号")


# ---------------------------------------------------------------- salutation

@pytest.mark.parametrize(("name", "gender", "salutation"), [
    ("王小明", "m", "王先生"), ("李娜", "f", "李女士"), ("张三", "u", "张三"), ("", "m", ""),
])
def test_salutation_by_gender(name: str, gender: str, salutation: str) -> None:
    assert Customer(name=name, gender=gender).salutation == salutation
