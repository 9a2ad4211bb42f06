"""Back-office saves and deletes go through the audited actions: one audit row each, with before/after."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib.admin.models import LogEntry
from django.test import Client
from django.utils import timezone

from hotline.accounts.models import AuditEntry, User
from hotline.catalog.models import GiftRule, Product, Supplier
from hotline.media.models import Station
from tests import factories
from tests.backoffice.helpers import admin_url, form_data


def test_changing_a_product_records_before_and_after(world: Any, users: dict[str, Any],
                                                     client_as: Callable[[str | None], Client]) -> None:
    # given the admin on the product page
    client = client_as("admin")
    page = client.get(admin_url("catalog/product", "change", world.product.pk))
    # when they raise the price
    response = client.post(admin_url("catalog/product", "change", world.product.pk),
                           form_data(page, price="399.00"))
    # then the product changed and the audit log says who, what, before and after
    assert response.status_code == 302
    assert Product.objects.get(pk=world.product.pk).price == Decimal("399.00")
    entry = AuditEntry.objects.get(object_type="catalog.product", object_id=str(world.product.pk))
    assert (entry.action, entry.actor, entry.actor_name) == ("change", users["admin"], "t_admin")
    assert (entry.before["price"], entry.after["price"]) == ("398.00", "399.00")
    assert {k for k in entry.after if entry.before[k] != entry.after[k]} == {"price"}
    assert not LogEntry.objects.exists()


def test_adding_a_station_records_its_creation(users: dict[str, Any],
                                               client_as: Callable[[str | None], Client]) -> None:
    response = client_as("admin").post(admin_url("media/station", "add"), {
        "code": "zjtv", "name": "浙江卫视", "channel": "", "active": "on",
        "hotline_numbers-TOTAL_FORMS": "1", "hotline_numbers-INITIAL_FORMS": "0",
        "hotline_numbers-0-number": "400-800-2000", "hotline_numbers-0-description": "",
        "hotline_numbers-0-active": "on",
    })
    assert response.status_code == 302
    station = Station.objects.get(code="zjtv")
    assert list(station.hotline_numbers.values_list("number", flat=True)) == ["4008002000"]
    entries = list(AuditEntry.objects.order_by("id").values_list("action", "object_type", "before", "actor_name"))
    assert entries == [("add", "media.station", None, "t_admin"), ("add", "media.hotlinenumber", None, "t_admin")]
    assert AuditEntry.objects.get(object_type="media.station").after["name"] == "浙江卫视"


def test_inline_gift_rule_added_on_the_product_page_is_audited(world: Any, client_as: Callable[[str | None], Client],
                                                               users: dict[str, Any]) -> None:
    client = client_as("admin")
    page = client.get(admin_url("catalog/product", "change", world.extra.pk))
    data = form_data(page, **{"gift_rules-TOTAL_FORMS": "1", "gift_rules-0-buy_quantity": "3",
                              "gift_rules-0-gift": str(world.gift.pk), "gift_rules-0-gift_quantity": "1",
                              "gift_rules-0-repeat": "on", "gift_rules-0-active": "on"})
    assert client.post(admin_url("catalog/product", "change", world.extra.pk), data).status_code == 302
    rule = GiftRule.objects.get(product=world.extra)
    assert (rule.buy_quantity, rule.gift, rule.gift_quantity) == (3, world.gift, 1)
    entry = AuditEntry.objects.get(object_type="catalog.giftrule")
    assert (entry.action, entry.object_id, entry.after["gift_id"]) == ("add", str(rule.pk), world.gift.pk)
    assert not AuditEntry.objects.filter(object_type="catalog.product").exists()  # the product did not change


def test_deleting_a_supplier_keeps_its_last_state_in_the_log(users: dict[str, Any],
                                                             client_as: Callable[[str | None], Client]) -> None:
    supplier = Supplier.objects.create(name="浙江金厨", contact_name="俞建华")
    response = client_as("admin").post(admin_url("catalog/supplier", "delete", supplier.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Supplier.objects.exists()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_type, entry.after) == ("delete", "catalog.supplier", None)
    assert (entry.before["name"], entry.before["contact_name"]) == ("浙江金厨", "俞建华")


def test_invalid_input_changes_nothing_and_writes_no_audit(world: Any, client_as: Callable[[str | None], Client],
                                                           users: dict[str, Any]) -> None:
    client = client_as("admin")
    page = client.get(admin_url("catalog/product", "change", world.product.pk))
    response = client.post(admin_url("catalog/product", "change", world.product.pk),
                           form_data(page, price="0", short_code="A-1"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "short_code": ["Letters and digits only."], "price": ["The price must be greater than zero."]}
    assert Product.objects.get(pk=world.product.pk).price == Decimal("398.00")
    assert not AuditEntry.objects.exists()


def test_admin_creates_a_user_with_a_role(users: dict[str, Any], client_as: Callable[[str | None], Client]) -> None:
    response = client_as("admin").post(admin_url("accounts/user", "add"), {
        "username": "li.na", "role": "finance", "usable_password": "true",
        "password1": "a-long-passphrase-9", "password2": "a-long-passphrase-9"})
    assert response.status_code == 302
    user = User.objects.get(username="li.na")
    assert (user.role, user.is_staff, user.is_superuser, user.has_usable_password()) == ("finance", True, False, True)
    entry = AuditEntry.objects.get(object_type="accounts.user")
    assert (entry.action, entry.after["username"], entry.after["password"], entry.after["role"]) == (
        "create_user", "li.na", "***", "finance")


def test_changing_a_role_to_admin_makes_a_superuser(users: dict[str, Any],
                                                    client_as: Callable[[str | None], Client]) -> None:
    client = client_as("admin")
    target = users["manager"]
    page = client.get(admin_url("accounts/user", "change", target.pk))
    response = client.post(admin_url("accounts/user", "change", target.pk), form_data(page, role="admin"))
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.role, target.is_superuser) == ("admin", True)
    entry = AuditEntry.objects.get(object_type="accounts.user")
    assert (entry.action, entry.before["role"], entry.after["role"]) == ("change_user", "manager", "admin")


def test_issuing_a_token_shows_the_key_once(users: dict[str, Any], client_as: Callable[[str | None], Client]) -> None:
    response = client_as("admin").post(admin_url("accounts/apitoken", "add"),
                                       {"user": users["logistics"].pk, "name": "WMS"}, follow=True)
    token = users["logistics"].api_tokens.get()
    shown = [str(m) for m in response.context["messages"] if "copy it now" in str(m)]
    assert len(shown) == 1
    raw = shown[0].split("The new token is ")[1].split(" ")[0]
    assert raw.startswith(token.prefix) and token.hash_key(raw) == token.key_hash
    assert AuditEntry.objects.get().action == "create_api_token"


def test_history_button_opens_the_objects_audit_entries(world: Any, client_as: Callable[[str | None], Client],
                                                        users: dict[str, Any]) -> None:
    response = client_as("admin").get(admin_url("catalog/product", "history", world.product.pk))
    assert response.status_code == 302
    assert response["Location"] == (f"/admin/accounts/auditentry/?object_type=catalog.product"
                                    f"&object_id={world.product.pk}")


def test_audit_log_filters_by_actor_action_type_and_date(users: dict[str, Any],
                                                         client_as: Callable[[str | None], Client]) -> None:
    # given a few writes by two people
    factories.make_station()
    from hotline.accounts.audit import record

    station = Station.objects.get()
    record("change", station, actor=users["admin"])
    record("report_number", station, actor=users["agent"])
    record("change", users["agent"], actor=users["agent"])
    client = client_as("manager")
    # when a manager filters the log, then each filter returns exactly the matching entries

    def listed(query: str) -> list[tuple[str, str, str]]:
        response = client.get(admin_url("accounts/auditentry") + query)
        assert response.status_code == 200
        return [(e.actor_name, e.action, e.object_type) for e in response.context["cl"].result_list]

    assert listed(f"?actor__id__exact={users['agent'].pk}") == [
        ("t_agent", "change", "accounts.user"), ("t_agent", "report_number", "media.station")]
    assert listed("?action=change") == [("t_agent", "change", "accounts.user"), ("t_admin", "change", "media.station")]
    assert listed("?object_type=media.station&action=report_number") == [("t_agent", "report_number", "media.station")]
    today = timezone.localdate(AuditEntry.objects.first().at)  # type: ignore[union-attr]
    assert len(listed(f"?at__year={today.year}&at__month={today.month}&at__day={today.day}")) == 3
    assert listed("?at__year=2000") == []
    assert listed("?q=t_admin") == [("t_admin", "change", "media.station")]
