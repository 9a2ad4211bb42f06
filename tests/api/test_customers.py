"""Customers over the API: list and search, screen-pop look-up, create, change, numbers and addresses."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from hotline.accounts.models import AuditEntry
from hotline.crm.actions import do_report_number
from hotline.crm.models import Customer
from hotline.lib.lunar import next_birthday
from tests import factories
from tests.api.helpers import nothing_written


@pytest.fixture
def agent_api(as_role):  # type: ignore[no-untyped-def]
    return as_role("agent")


# ---------------------------------------------------------------- reading


def test_list_is_newest_first_and_paginated(world, as_role):
    # given three customers
    factories.make_customer("李丽", "13900139000", gender="f")
    factories.make_customer("张伟", "13700137000")
    # when a manager (who may export customers) asks for the first two
    manager = as_role("manager")
    body = manager.get("/api/customers", limit=2).json()
    # then they get the two newest and the total
    assert body["count"] == 3
    assert [c["name"] for c in body["items"]] == ["张伟", "李丽"]
    # and the next page holds the oldest
    assert [c["name"] for c in manager.get("/api/customers", limit=2, offset=2).json()["items"]] == ["王小明"]


def test_search_finds_by_name_part_or_by_phone_in_any_notation(world, agent_api):
    # given two customers
    factories.make_customer("李丽", "13900139000", gender="f")
    # when the agent searches by part of a name, or by a number typed with +86 and dashes
    by_name = agent_api.get("/api/customers", q="小明").json()
    by_phone = agent_api.get("/api/customers", q="+86 139-0013-9000").json()
    # then each finds the one customer
    assert [c["name"] for c in by_name["items"]] == ["王小明"]
    assert [c["name"] for c in by_phone["items"]] == ["李丽"]


def test_filters_by_level_and_credit(world, as_role):
    # given a VIP with bad credit besides the normal customer
    factories.make_customer("李丽", "13900139000", gender="f", level="vip", credit="bad")
    # when a manager filters
    vip = as_role("manager").get("/api/customers", level="vip").json()["items"]
    good = as_role("manager").get("/api/customers", credit="good").json()["items"]
    # then only the matching customers come back
    assert [c["name"] for c in vip] == ["李丽"]
    assert [c["name"] for c in good] == ["王小明"]


def test_an_unknown_level_filter_is_422(world, agent_api):
    response = agent_api.get("/api/customers", level="gold")
    assert (response.status_code, response.json()) == (
        422, {"errors": {"level": ["Select a valid choice. gold is not one of the available choices."]}})


def test_a_limit_over_200_is_refused(world, agent_api):
    response = agent_api.get("/api/customers", limit=201)
    assert (response.status_code, response.json()) == (
        422, {"errors": {"limit": ["Ensure this value is less than or equal to 200."]}})


def test_get_shows_numbers_with_region_and_addresses(world, agent_api):
    # when the agent reads the world's customer
    body = agent_api.get(f"/api/customers/{world.customer.pk}").json()
    # then numbers and addresses are there, with what is derived from them
    assert body["name"] == "王小明"
    assert body["salutation"] == "王先生"
    assert body["phones"] == [{"number": "13800138000", "kind": "mobile", "province": "北京", "city": "北京",
                               "region": "北京", "carrier": "移动", "is_primary": True}]
    assert [(a["full_text"], a["is_default"]) for a in body["addresses"]] == [("广东深圳南山区科技园南路18号", True)]


def test_an_unknown_customer_is_404(world, agent_api):
    response = agent_api.get("/api/customers/99999")
    assert (response.status_code, response.json()) == (404, {"detail": "Customer #99999 does not exist."})


def test_a_customer_id_that_is_not_a_number_is_422(world, agent_api):
    response = agent_api.get("/api/customers/abc")
    assert (response.status_code, response.json()) == (422, {"errors": {"customer_id": ["Enter a whole number."]}})


# ---------------------------------------------------------------- screen pop


def test_lookup_by_phone_in_any_notation_gives_region_and_matches(world, agent_api):
    # given the number also belongs to a second customer (a shared family line)
    other = factories.make_customer("王太太", "13800138000", gender="f")
    # when the agent's screen pops for a call from +86 138 0013 8000
    body = agent_api.get("/api/customers/lookup", phone="+86 138 0013 8000").json()
    # then the number in normal form, its region and both customers, newest first, come back
    assert {k: body[k] for k in ("phone", "kind", "region", "carrier", "blacklist")} == {
        "phone": "13800138000", "kind": "mobile", "region": "北京", "carrier": "移动", "blacklist": None}
    assert [c["id"] for c in body["customers"]] == [other.pk, world.customer.pk]
    assert body["customers"][1]["addresses"][0]["detail"] == "科技园南路18号"


def test_lookup_of_a_new_caller_gives_the_region_and_no_customers(world, agent_api):
    body = agent_api.get("/api/customers/lookup", phone="02087654321").json()
    assert body == {"phone": "02087654321", "kind": "landline", "region": "广东 广州", "carrier": "",
                    "blacklist": None, "customers": []}


def test_lookup_shows_that_a_number_is_blacklisted(world, agent_api, settings):
    # given a number reported as a nuisance often enough
    settings.HOTLINE_BLACKLIST_THRESHOLD = 1
    do_report_number("13900139000", actor=None, reason="骚扰")
    # when it calls, then the screen pop warns the agent
    assert agent_api.get("/api/customers/lookup", phone="13900139000").json()["blacklist"] == "warn"


@pytest.mark.parametrize(("phone", "message"), [
    ("abc", "“abc” is not a phone number: use digits only."),
    ("12345", "“12345” is not a valid Chinese mobile or landline number."),
    ("+1 212 555 0100", "Only Chinese numbers (+86) are supported."),
])
def test_lookup_of_a_malformed_number_is_422(world, agent_api, phone, message):
    response = agent_api.get("/api/customers/lookup", phone=phone)
    assert (response.status_code, response.json()) == (422, {"errors": {"phone": [message]}})


def test_lookup_without_a_number_is_422(world, agent_api):
    response = agent_api.get("/api/customers/lookup")
    assert (response.status_code, response.json()) == (422, {"errors": {"phone": ["This field is required."]}})


# ---------------------------------------------------------------- creating


def test_create_normalizes_numbers_parses_the_address_and_audits(world, users, agent_api):
    # when the agent creates a customer with two numbers and an address
    response = agent_api.post("/api/customers", {
        "name": " 李丽 ", "gender": "f", "phones": ["139-0013-9000", "+86 20 8765 4321"],
        "address": "浙江省杭州市西湖区文三路100号", "birthday": "1970-03-08", "birthday_lunar": True})
    # then the customer is created as sent, normalized
    assert response.status_code == 201
    body = response.json()
    customer = Customer.objects.get(pk=body["id"])
    assert (customer.name, customer.gender, str(customer.birthday), customer.birthday_lunar) == (
        "李丽", "f", "1970-03-08", True)
    # and her next birthday is counted by the lunar calendar (the rule itself: tests/lib/test_lunar.py)
    assert body["next_birthday"] == str(next_birthday(datetime.date(1970, 3, 8), True, timezone.localdate()))
    assert [(p["number"], p["is_primary"]) for p in body["phones"]] == [("13900139000", True),
                                                                         ("02087654321", False)]
    assert [(a["province"], a["city"], a["district"], a["detail"]) for a in body["addresses"]] == [
        ("浙江", "杭州", "西湖区", "文三路100号")]
    # and the write is in the audit log under the agent's name
    entry = AuditEntry.objects.get(action="create_customer", object_id=str(customer.pk))
    assert entry.actor_name == "t_agent"


def test_create_with_a_number_another_customer_has_is_409_with_their_id(world, agent_api):
    # when the agent creates a customer with the world customer's number
    with nothing_written():
        response = agent_api.post("/api/customers", {"name": "李丽", "phones": ["138 0013 8000"]})
    # then it is refused as a duplicate, naming the existing customer
    message = f"13800138000 already belongs to customer 王小明 (#{world.customer.pk})."
    assert (response.status_code, response.json()) == (409, {
        "detail": message, "errors": {"phones": [message]}, "existing_customer_id": world.customer.pk})


def test_create_with_a_shared_number_when_allowed(world, agent_api):
    response = agent_api.post("/api/customers", {"name": "王太太", "phones": ["13800138000"],
                                                 "allow_duplicate": True})
    assert response.status_code == 201
    assert Customer.objects.filter(phones__number="13800138000").count() == 2


@pytest.mark.parametrize(("body", "errors"), [
    ({"name": "李丽", "phones": ["1380013800"]},
     {"phones": ["“1380013800” is not a valid Chinese mobile or landline number."]}),
    ({"name": "李丽", "phones": []}, {"phones": ["Enter at least one phone number."]}),
    ({"name": "", "phones": ["13900139000"]},
     {"name": ["Ensure this value has at least 1 character (it has 0)."]}),
    ({"name": "李丽", "phones": ["13900139000"], "notes": "很" * 4001},
     {"notes": ["Ensure this value has at most 4000 characters (it has 4001)."]}),
    ({"name": "李丽", "phones": ["13900139000"], "gender": "x", "level": "gold"},
     {"gender": ["Select a valid choice. x is not one of the available choices."],
      "level": ["Select a valid choice. gold is not one of the available choices."]}),
    ({"name": "李丽", "phones": "13900139000"}, {"phones": ["Enter a list of values."]}),
    ({"name": "李丽", "phones": ["13900139000"], "birthday": "1970-02-30"}, {"birthday": ["Enter a valid date."]}),
    ({"name": "李丽", "phones": ["13900139000"], "email": "not-an-address"},
     {"email": ["Enter a valid email address."]}),
    ({"name": "李丽", "phones": ["13900139000"], "vip": True}, {"vip": ["Unknown field."]}),
    ({"phones": ["13900139000"]}, {"name": ["This field is required."]}),
], ids=["bad-phone", "no-phone", "empty-name", "long-notes", "unknown-enums", "phones-not-a-list",
        "impossible-date", "bad-email", "unknown-field", "missing-name"])
def test_create_with_bad_input_is_422_and_writes_nothing(world, agent_api, body, errors):
    with nothing_written():
        response = agent_api.post("/api/customers", body)
    assert (response.status_code, response.json()) == (422, {"errors": errors})


# ---------------------------------------------------------------- changing


def test_patch_changes_only_the_fields_sent(world, agent_api):
    # when the agent makes the customer a VIP with a note
    response = agent_api.patch(f"/api/customers/{world.customer.pk}", {"level": "vip", "notes": "老客户"})
    # then those fields change and the others stay
    assert response.status_code == 200
    customer = Customer.objects.get(pk=world.customer.pk)
    assert (customer.level, customer.notes, customer.name, customer.gender) == ("vip", "老客户", "王小明", "m")
    entry = AuditEntry.objects.get(action="update_customer")
    assert (entry.before["level"], entry.after["level"]) == ("normal", "vip")


def test_patch_with_bad_input_is_422_and_changes_nothing(world, agent_api):
    with nothing_written():
        response = agent_api.patch(f"/api/customers/{world.customer.pk}",
                                   {"level": "vip", "credit": "awful", "notes": "x" * 4001})
    assert (response.status_code, response.json()) == (422, {"errors": {
        "credit": ["Select a valid choice. awful is not one of the available choices."],
        "notes": ["Ensure this value has at most 4000 characters (it has 4001)."]}})
    assert Customer.objects.get(pk=world.customer.pk).level == "normal"


def test_patch_of_an_unknown_customer_is_404(world, agent_api):
    with nothing_written():
        response = agent_api.patch("/api/customers/99999", {"level": "vip"})
    assert (response.status_code, response.json()) == (404, {"detail": "Customer #99999 does not exist."})


def test_add_a_phone_number(world, agent_api):
    response = agent_api.post(f"/api/customers/{world.customer.pk}/phones", {"number": "010-6512 3456"})
    assert response.status_code == 201
    assert [p["number"] for p in response.json()["phones"]] == ["13800138000", "01065123456"]


def test_add_a_malformed_or_duplicate_phone_number_is_refused(world, agent_api):
    other = factories.make_customer("李丽", "13900139000", gender="f")
    with nothing_written():
        malformed = agent_api.post(f"/api/customers/{world.customer.pk}/phones", {"number": "139001390"})
        taken = agent_api.post(f"/api/customers/{world.customer.pk}/phones", {"number": "13900139000"})
        own = agent_api.post(f"/api/customers/{world.customer.pk}/phones", {"number": "13800138000"})
    assert (malformed.status_code, malformed.json()) == (
        422, {"errors": {"number": ["“139001390” is not a valid Chinese mobile or landline number."]}})
    assert (taken.status_code, taken.json()["existing_customer_id"]) == (409, other.pk)
    assert (own.status_code, own.json()) == (
        422, {"errors": {"phones": ["13800138000 is already on this customer."]}})


def test_add_an_address_parsed_from_free_text(world, agent_api):
    response = agent_api.post(f"/api/customers/{world.customer.pk}/addresses",
                              {"text": "北京市朝阳区建国路1号", "recipient": "王太太", "default": True})
    assert response.status_code == 201
    assert [(a["recipient"], a["full_text"], a["is_default"]) for a in response.json()["addresses"]] == [
        ("王太太", "北京朝阳区建国路1号", True), ("王小明", "广东深圳南山区科技园南路18号", False)]


def test_add_an_oversized_address_is_refused(world, agent_api):
    with nothing_written():
        response = agent_api.post(f"/api/customers/{world.customer.pk}/addresses", {"text": "路" * 301})
    assert (response.status_code, response.json()) == (
        422, {"errors": {"text": ["Ensure this value has at most 300 characters (it has 301)."]}})
