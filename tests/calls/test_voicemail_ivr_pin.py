"""The ORM side of the IVR's `set_pin` node (`OrmIvrHost.set_member_pin`): the verified member's new PIN is
hashed and audited as the system; a PIN the rules refuse, or an unknown customer, changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync

from hotline.accounts.models import AuditEntry
from hotline.calls.host.ivr import OrmIvrHost
from hotline.crm.actions import verify_member_pin
from hotline.crm.models import Customer
from hotline.telephony.ivr.host import IvrHost
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def member() -> Customer:
    return factories.make_customer(member_no="100200")


def test_the_verified_member_gets_the_new_pin(member: Customer) -> None:
    host: IvrHost = OrmIvrHost()
    assert async_to_sync(host.set_member_pin)(str(member.pk), "97531") is True
    assert verify_member_pin("100200", "97531") == member
    audit = AuditEntry.objects.get(action="set_member_pin")
    assert (audit.actor_name, audit.object_id) == ("system", str(member.pk))


@pytest.mark.parametrize(("customer", "pin"), [("own", "12"), ("own", "12ab"), ("999999", "97531"), ("x", "97531")])
def test_a_refused_pin_or_an_unknown_customer_changes_nothing(member: Customer, customer: str, pin: str) -> None:
    ref = str(member.pk) if customer == "own" else customer
    assert async_to_sync(OrmIvrHost().set_member_pin)(ref, pin) is False
    assert Customer.objects.get(pk=member.pk).pin_hash == ""
    assert AuditEntry.objects.count() == 0


def test_a_customer_without_member_number_gets_no_pin(users: dict[str, Any]) -> None:
    plain = factories.make_customer("李四", "13900139000")
    assert async_to_sync(OrmIvrHost().set_member_pin)(str(plain.pk), "97531") is False
    assert Customer.objects.get(pk=plain.pk).pin_hash == ""
