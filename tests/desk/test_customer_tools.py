"""The desk's customer tools over HTTP: report the caller's number (F10), set the member's PIN (Alt+P), edit
the caller's record (Alt+E). Each as anonymous, without permission and with it; a refusal changes nothing."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password
from django.test import Client

from hotline.accounts.models import AuditEntry
from hotline.crm.models import BlacklistEntry, BlacklistReport, Customer
from tests import factories

PHONE = "13800138000"


@pytest.fixture(autouse=True)
def _in_english(english: None) -> None:
    """Messages are asserted in English."""


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def texts(response: Any) -> str:
    """The response's text without its tags, in single spaces."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


# ---------------------------------------------------------------- F10: report the caller's number

@pytest.mark.django_db
def test_three_reports_from_the_desk_blacklist_the_number(users: dict[str, Any]) -> None:
    agent = client_for(users["agent"])
    first = agent.post("/desk/customer/report", {"number": "138 0013 8000", "reason": "prank calls"})
    second = agent.post("/desk/customer/report", {"number": PHONE, "reason": ""})
    assert (first.status_code, second.status_code) == (200, 200)
    assert "13800138000 reported (1 report)." in texts(first)
    assert "blacklisted" not in texts(second)
    third = client_for(users["supervisor"]).post("/desk/customer/report", {"number": PHONE, "reason": "again"})
    assert third.status_code == 200
    assert "13800138000 reported (3 reports). The number is now blacklisted." in texts(third)
    entry = BlacklistEntry.objects.get()
    assert (entry.number, entry.report_count, entry.active, entry.reason) == (PHONE, 3, True, "prank calls")
    assert list(BlacklistReport.objects.order_by("id").values_list("reported_by__username", "reason")) == [
        ("t_agent", "prank calls"), ("t_agent", ""), ("t_supervisor", "again")]
    assert AuditEntry.objects.filter(action="report_number").count() == 3


@pytest.mark.django_db
def test_a_report_of_a_non_number_is_refused_on_its_field_and_stores_nothing(users: dict[str, Any]) -> None:
    response = client_for(users["agent"]).post("/desk/customer/report", {"number": "abc", "reason": "x"})
    assert response.status_code == 422
    assert "Phone number：" in texts(response)
    too_long = client_for(users["agent"]).post("/desk/customer/report", {"number": PHONE, "reason": "x" * 201})
    assert too_long.status_code == 422
    assert "Reason：Ensure this value has at most 200 characters (it has 201)." in texts(too_long)
    assert (BlacklistEntry.objects.count(), BlacklistReport.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_reporting_needs_a_sign_in_and_the_permission(users: dict[str, Any]) -> None:
    anonymous = Client().post("/desk/customer/report", {"number": PHONE})
    assert (anonymous.status_code, anonymous["Location"].split("?")[0]) == (302, "/login/")
    refused = client_for(users["finance"]).post("/desk/customer/report", {"number": PHONE})
    assert refused.status_code == 403
    assert BlacklistEntry.objects.count() == 0


# ---------------------------------------------------------------- Alt+P: the member's PIN

@pytest.mark.django_db
def test_the_agent_sets_the_pin_the_member_says_twice_and_only_its_hash_is_kept(users: dict[str, Any]) -> None:
    customer = factories.make_customer(member_no="M0001")
    response = client_for(users["agent"]).post("/desk/customer/pin",
                                               {"customer_id": customer.pk, "pin": "2468", "pin_again": "2468"})
    assert response.status_code == 200
    assert "The PIN of 王小明 (member M0001) is set." in texts(response)
    customer.refresh_from_db()
    assert customer.pin_hash != "2468" and check_password("2468", customer.pin_hash)
    entry = AuditEntry.objects.get(action="set_member_pin")
    assert "2468" not in str(entry.before) + str(entry.after)


@pytest.mark.django_db
@pytest.mark.parametrize(("pin", "again", "message"), [
    ("2468", "2469", "PIN again：The two PINs differ; type them again."),
    ("12", "12", "New PIN：A PIN is 4 to 8 digits."),
    ("12ab", "12ab", "New PIN：A PIN is 4 to 8 digits."),
    ("", "", "New PIN：This field is required."),
])
def test_a_pin_typed_wrong_is_refused_and_the_old_one_stays(users: dict[str, Any], pin: str, again: str,
                                                            message: str) -> None:
    customer = factories.make_customer(member_no="M0001", pin_hash="kept")
    response = client_for(users["agent"]).post("/desk/customer/pin",
                                               {"customer_id": customer.pk, "pin": pin, "pin_again": again})
    assert response.status_code == 422
    assert message in texts(response)
    customer.refresh_from_db()
    assert customer.pin_hash == "kept"


@pytest.mark.django_db
def test_a_customer_without_member_number_gets_no_pin(users: dict[str, Any]) -> None:
    customer = factories.make_customer()
    response = client_for(users["agent"]).post("/desk/customer/pin",
                                               {"customer_id": customer.pk, "pin": "2468", "pin_again": "2468"})
    assert response.status_code == 422
    assert "New PIN：Give the customer a member number before a PIN." in texts(response)
    assert Customer.objects.get().pin_hash == ""


@pytest.mark.django_db
def test_setting_a_pin_needs_the_permission(users: dict[str, Any]) -> None:
    customer = factories.make_customer(member_no="M0001")
    data = {"customer_id": customer.pk, "pin": "2468", "pin_again": "2468"}
    assert Client().post("/desk/customer/pin", data).status_code == 302
    for role in ("logistics", "finance", "manager"):
        assert client_for(users[role]).post("/desk/customer/pin", data).status_code == 403
    assert Customer.objects.get().pin_hash == ""


# ---------------------------------------------------------------- Alt+E: the caller's record

EDIT = {"name": "王大明", "gender": "m", "birthday": "1965-08-09", "birthday_lunar": "on", "member_no": "M0002",
        "notify_channel": "voice", "notes": "喜欢上午来电", "address": "浙江省杭州市西湖区文三路100号"}


@pytest.mark.django_db
def test_the_form_shows_the_callers_record(users: dict[str, Any]) -> None:
    customer = factories.make_customer(birthday=datetime.date(1965, 8, 9), notes="老客户")
    response = client_for(users["agent"]).get("/desk/customer/edit", {"customer_id": customer.pk})
    assert response.status_code == 200
    form = response.context["form"]
    assert (form["name"].value(), form["birthday"].value(), form["notes"].value()) == (
        "王小明", datetime.date(1965, 8, 9), "老客户")
    assert "广东深圳南山区科技园南路18号 (default)" in texts(response)


@pytest.mark.django_db
def test_the_agent_edits_the_caller_and_adds_a_default_address(users: dict[str, Any]) -> None:
    customer = factories.make_customer()
    response = client_for(users["agent"]).post("/desk/customer/edit", {"customer_id": customer.pk, **EDIT})
    assert response.status_code == 200
    assert "Saved." in texts(response)
    customer.refresh_from_db()
    assert (customer.name, customer.gender, customer.birthday, customer.birthday_lunar, customer.member_no,
            customer.notify_channel, customer.notes) == (
        "王大明", "m", datetime.date(1965, 8, 9), True, "M0002", "voice", "喜欢上午来电")
    default = customer.addresses.get(is_default=True)
    assert (default.province, default.city, default.district, default.detail) == ("浙江", "杭州", "西湖区",
                                                                                 "文三路100号")
    assert customer.addresses.count() == 2
    assert sorted(AuditEntry.objects.values_list("action", flat=True)) == ["add_address", "update_customer"]


@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "message"), [
    ({"name": ""}, "This field is required."),
    ({"birthday": "1965-13-40"}, "Enter a date such as 1970-05-20."),
    ({"gender": "x"}, "Select a valid choice. x is not one of the available choices."),
    ({"address": "x" * 301}, "Ensure this value has at most 300 characters (it has 301)."),
])
def test_a_wrong_field_is_named_and_nothing_changes(users: dict[str, Any], changes: dict[str, str],
                                                    message: str) -> None:
    customer = factories.make_customer()
    response = client_for(users["agent"]).post("/desk/customer/edit",
                                               {"customer_id": customer.pk, **EDIT, **changes})
    assert response.status_code == 422
    field = next(iter(changes))
    assert response.context["form"].errors[field] == [message]
    customer.refresh_from_db()
    assert (customer.name, customer.birthday, customer.addresses.count()) == ("王小明", None, 1)
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_a_member_number_that_is_taken_is_refused_and_the_address_is_not_added(users: dict[str, Any]) -> None:
    factories.make_customer("李四", "13900139000", member_no="M0002")
    customer = factories.make_customer()
    response = client_for(users["agent"]).post("/desk/customer/edit", {"customer_id": customer.pk, **EDIT})
    assert response.status_code == 422
    assert response.context["form"].errors["member_no"] == ["Customer with this Member number already exists."]
    customer.refresh_from_db()
    assert (customer.name, customer.member_no, customer.addresses.count()) == ("王小明", None, 1)


@pytest.mark.django_db
def test_editing_needs_the_permission(users: dict[str, Any]) -> None:
    customer = factories.make_customer()
    assert Client().get("/desk/customer/edit", {"customer_id": customer.pk}).status_code == 302
    assert client_for(users["finance"]).post("/desk/customer/edit",
                                             {"customer_id": customer.pk, **EDIT}).status_code == 403
    assert client_for(users["agent"]).get("/desk/customer/edit", {"customer_id": 999999}).status_code == 404
    assert Customer.objects.get().name == "王小明"


@pytest.mark.django_db
def test_the_desk_shows_the_tools_with_their_keys(users: dict[str, Any]) -> None:
    page = texts(client_for(users["agent"]).get("/desk/"))
    for label in ("Report nuisance number F10", "Edit customer Alt+E", "Set member PIN Alt+P",
                  "Where is my order? Alt+O"):
        assert label in page


# ---------------------------------------------------------------- the back office: reset a forgotten PIN

@pytest.mark.django_db
def test_the_back_office_resets_a_forgotten_pin(users: dict[str, Any]) -> None:
    customer = factories.make_customer(member_no="M0001", pin_hash="old-hash")
    other = factories.make_customer("李四", "13900139000", member_no="M0002")
    data = {"action": "reset_member_pin", "_selected_action": [customer.pk, other.pk]}
    refused = client_for(users["manager"]).post("/admin/crm/customer/", data)
    assert Customer.objects.get(pk=customer.pk).pin_hash == "old-hash"
    assert refused.status_code in (200, 302)  # the action is not offered: nothing done
    response = client_for(users["supervisor"]).post("/admin/crm/customer/", data, follow=True)
    assert "1 member PIN reset." in texts(response)
    assert Customer.objects.get(pk=customer.pk).pin_hash == ""
    assert list(AuditEntry.objects.values_list("action", "object_id")) == [("reset_member_pin", str(customer.pk))]
