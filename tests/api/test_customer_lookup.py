"""Without `crm.export_customer`, the API's customer list is a look-up: by phone, or by at least two
characters of a name or member number, at most 50 answers; managers and admins page the whole base."""

from __future__ import annotations

import pytest

from hotline.crm.models import Customer, CustomerPhone

REFUSAL = {"errors": {"q": ["Look a customer up by phone, or by at least 2 characters of a name or member number."]}}
LOOKUP_ROLES = ["agent", "supervisor", "logistics", "finance"]


@pytest.mark.parametrize("role", LOOKUP_ROLES)
@pytest.mark.parametrize("query", [{}, {"q": "王"}, {"q": "  王 "}, {"level": "normal"}, {"credit": "good"}])
def test_a_list_without_a_look_up_is_refused(world, as_role, role, query):
    response = as_role(role).get("/api/customers", **query)
    assert (response.status_code, response.json()) == (422, REFUSAL)


@pytest.mark.parametrize("role", LOOKUP_ROLES)
def test_look_ups_by_name_or_phone_answer(world, as_role, role):
    api = as_role(role)
    assert [c["name"] for c in api.get("/api/customers", q="小明").json()["items"]] == ["王小明"]
    assert [c["name"] for c in api.get("/api/customers", phone="13800138000").json()["items"]] == ["王小明"]


@pytest.fixture
def crowd(world):  # type: ignore[no-untyped-def]
    """60 customers called 李某, with numbers 13900000000 to 13900000059."""
    made = Customer.objects.bulk_create([Customer(name=f"李某{i:02d}") for i in range(60)])
    CustomerPhone.objects.bulk_create([CustomerPhone(customer=c, number=f"139{i:08d}", is_primary=True)
                                       for i, c in enumerate(made)])
    return made


def test_a_look_up_answers_at_most_50_and_paging_past_them_finds_nothing(crowd, as_role):
    api = as_role("agent")
    first = api.get("/api/customers", q="李某", limit=200).json()
    assert (first["count"], len(first["items"])) == (50, 50)
    assert first["items"][0]["name"] == "李某59"
    assert api.get("/api/customers", q="李某", offset=50).json() == {"count": 50, "items": []}


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_whoever_may_export_pages_the_whole_base(crowd, as_role, role):
    body = as_role(role).get("/api/customers", limit=200).json()
    assert (body["count"], len(body["items"])) == (61, 61)
