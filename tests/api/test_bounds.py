"""Input the schema bounds: each of these answered 500 (or was parsed at length) before the schema said
how big a number, how far a date and how large a body may be. Now each is a 422 naming the field, a 413,
or a documented 400, and changes nothing."""

from __future__ import annotations

import json
import re

import pytest
from django.test import RequestFactory
from django.urls import resolve

from hotline.api.urls import api
from hotline.crm.models import Customer
from tests.api.helpers import ApiClient, nothing_written

BIG = 2**63  # one past the largest 64-bit id; Python passes it on and the database driver overflows
TOO_BIG_ID = "Ensure this value is less than or equal to 9223372036854775807."


@pytest.fixture
def agent_api(as_role):  # type: ignore[no-untyped-def]
    return as_role("agent")


@pytest.mark.parametrize("path", ["/api/customers", "/api/orders", "/api/callbacks", "/api/products"])
@pytest.mark.parametrize("offset", [BIG - 1, BIG, 10**30])
def test_an_offset_past_a_billion_is_422_on_every_list(shop, agent_api, path, offset):
    response = agent_api.get(path, offset=offset)
    assert (response.status_code, response.json()) == (
        422, {"errors": {"offset": ["Ensure this value is less than or equal to 1000000000."]}})


@pytest.mark.parametrize(("path", "field"), [
    ("/api/callbacks", "airing"), ("/api/orders", "customer_id"), ("/api/orders", "airing_id"),
    ("/api/airings", "product_id"),
])
def test_an_id_filter_past_64_bits_is_422(shop, as_role, path, field):
    response = as_role("admin").get(path, **{field: BIG})
    assert (response.status_code, response.json()) == (422, {"errors": {field: [TOO_BIG_ID]}})


@pytest.mark.parametrize(("path", "field"), [
    ("/api/customers/{}", "customer_id"), ("/api/products/{}", "product_id"), ("/api/airings/{}", "airing_id"),
])
def test_an_id_in_the_url_past_64_bits_is_422(shop, as_role, path, field):
    response = as_role("admin").get(path.format(BIG))
    assert (response.status_code, response.json()) == (422, {"errors": {field: [TOO_BIG_ID]}})


def test_an_id_past_64_bits_in_an_order_is_422_and_writes_nothing(shop, agent_api):
    body = {"customer_id": BIG, "lines": [{"product_id": BIG, "quantity": 1}], "address_text": "北京市朝阳区1号"}
    with nothing_written():
        response = agent_api.post("/api/orders", body)
    assert (response.status_code, response.json()) == (
        422, {"errors": {"customer_id": [TOO_BIG_ID], "lines.0.product_id": [TOO_BIG_ID]}})


@pytest.mark.parametrize(("path", "field", "day", "message"), [
    ("/api/orders", "date_from", "0001-01-01", "Ensure this value is greater than or equal to 1900-01-01."),
    ("/api/orders", "date_to", "9999-12-31", "Ensure this value is less than or equal to 2100-12-31."),
    ("/api/airings", "date", "0001-01-01", "Ensure this value is greater than or equal to 1900-01-01."),
    ("/api/airings", "date_to", "9999-12-31", "Ensure this value is less than or equal to 2100-12-31."),
])
def test_a_day_outside_1900_to_2100_is_422(shop, as_role, path, field, day, message):
    response = as_role("admin").get(path, **{field: day})
    assert (response.status_code, response.json()) == (422, {"errors": {field: [message]}})


def test_a_birthday_outside_1900_to_2100_is_422_and_writes_nothing(shop, agent_api):
    with nothing_written():
        response = agent_api.patch(f"/api/customers/{shop.customer.pk}", {"birthday": "0001-01-01"})
    assert (response.status_code, response.json()) == (
        422, {"errors": {"birthday": ["Ensure this value is greater than or equal to 1900-01-01."]}})


def test_null_clears_the_text_fields_that_may_be_empty(shop, agent_api):
    Customer.objects.filter(pk=shop.customer.pk).update(email="a@example.com", notes="VIP", fax="02087654321",
                                                        credit_reason="paid late")
    response = agent_api.patch(f"/api/customers/{shop.customer.pk}",
                               {"email": None, "notes": None, "fax": None, "credit_reason": None})
    assert response.status_code == 200
    assert (response.json()["email"], response.json()["notes"], response.json()["fax"],
            response.json()["credit_reason"]) == ("", "", "", "")
    customer = Customer.objects.get(pk=shop.customer.pk)
    assert (customer.email, customer.notes, customer.fax, customer.credit_reason) == ("", "", "", "")


def test_null_for_a_field_that_cannot_be_empty_is_422_and_the_schema_does_not_allow_it(shop, agent_api):
    with nothing_written():
        response = agent_api.patch(f"/api/customers/{shop.customer.pk}", {"name": None, "level": None})
    assert response.status_code == 422
    assert sorted(response.json()["errors"]) == ["level", "name"]
    fields = api.get_openapi_schema()["components"]["schemas"]["CustomerChangesIn"]["properties"]
    assert fields["name"] == {"maxLength": 100, "minLength": 1, "title": "Name", "type": "string"}
    assert {"type": "null"} in fields["email"]["anyOf"]


def test_malformed_json_is_a_documented_400(shop, agent_api):
    response = agent_api.client.post("/api/orders", data=b"{not json", content_type="application/json",
                                     headers=agent_api.headers)
    assert (response.status_code, response.json()) == (400, {"detail": "The request body is not valid JSON."})
    documented = api.get_openapi_schema()["paths"]["/api/orders"]["post"]["responses"]
    assert {"400", "413", "422"} <= {str(status) for status in documented}


def test_every_endpoint_with_a_body_documents_400_413_and_422():
    paths = api.get_openapi_schema()["paths"]
    missing = [f"{method.upper()} {path}" for path, methods in paths.items() for method, operation in methods.items()
               if "requestBody" in operation and not {"400", "413", "422"} <= {str(s) for s in operation["responses"]}]
    assert missing == []


def test_phone_numbers_have_a_pattern_in_the_schema():
    parameters = api.get_openapi_schema()["paths"]["/api/customers/lookup"]["get"]["parameters"]
    phone = next(parameter for parameter in parameters if parameter["name"] == "phone")
    pattern = re.compile(phone["schema"]["pattern"])
    assert [bool(pattern.match(raw)) for raw in ("138 0013 8000", "+86 20 8765-4321", "(020)87654321", "abc",
                                                 "13800138000; drop", "")] == [True, True, True, False, False, False]


def line(product_id: int) -> dict[str, object]:
    return {"product_id": product_id, "quantity": 1}


def test_an_order_with_more_lines_than_allowed_is_422_naming_the_limit(shop, agent_api):
    body = {"customer_id": shop.customer.pk, "address_text": "北京市朝阳区1号", "lines": [line(shop.product.pk)] * 51}
    with nothing_written():
        response = agent_api.post("/api/orders", body)
    assert (response.status_code, response.json()) == (422, {"errors": {"lines": ["Send at most 50 items."]}})


def test_a_huge_order_is_refused_with_413_before_it_is_parsed(shop, agent_api):
    # 200,000 lines, 6.6 MB: parsing them took seconds of server time before the 422
    body = json.dumps({"customer_id": shop.customer.pk, "address_text": "北京市朝阳区1号",
                       "lines": [line(shop.product.pk)] * 200_000})
    with nothing_written():
        response = agent_api.client.post("/api/orders", data=body, content_type="application/json",
                                         headers=agent_api.headers)
    assert (response.status_code, response.json()) == (
        413, {"detail": "The request body is too large: at most 65536 bytes."})


def test_an_order_of_the_maximum_size_still_fits_the_body_limit(shop, agent_api):
    long_line = {"product_id": 2**62, "quantity": 999, "discount": "9999999999.99", "cross_sell": False}
    body = {"customer_id": 2**62, "address_text": "北" * 300, "recipient": "王" * 100, "notes": "备" * 1000,
            "invoice_title": "发" * 100, "lines": [long_line] * 50}
    assert len(json.dumps(body).encode()) < 65536
    response = agent_api.post("/api/orders", body)
    assert response.status_code == 422  # refused for what it says, not for its size


def test_anonymous_gets_401_before_any_schema_check(shop):
    assert ApiClient().get("/api/customers", offset=BIG).status_code == 401


def test_too_many_digits_in_a_discount_is_422_in_django_s_words(shop, agent_api):
    body = {"customer_id": shop.customer.pk, "address_text": "北京市朝阳区1号",
            "lines": [{"product_id": shop.product.pk, "quantity": 1, "discount": "12345678901.5"}]}
    with nothing_written():
        response = agent_api.post("/api/orders", body)
    assert (response.status_code, response.json()) == (
        422, {"errors": {"lines.0.discount": [
            "Ensure that there are no more than 10 digits before the decimal point."]}})


def test_a_huge_order_sent_without_a_content_length_is_413_too(shop, agent_api, english):
    # a chunked upload declares no length: the body is measured once read, still before it is parsed
    body = json.dumps({"customer_id": shop.customer.pk, "lines": [line(shop.product.pk)] * 20_000}).encode()
    request = RequestFactory().post("/api/orders", data=body, content_type="application/json",
                                    headers=agent_api.headers)
    del request.META["CONTENT_LENGTH"]
    with nothing_written():
        response = resolve("/api/orders").func(request)
    assert (response.status_code, json.loads(response.content)) == (
        413, {"detail": "The request body is too large: at most 65536 bytes."})


@pytest.mark.parametrize(("method", "path", "body", "query", "field"), [
    ("get", "/api/products", None, {"q": "按摩\x00"}, "q"),
    ("patch", "/api/customers/{customer}", {"notes": "VIP\x00"}, {}, "notes"),
    ("post", "/api/orders", {"customer_id": 0, "lines": [{"product_id": 1, "quantity": 1}], "notes": "a\x00"},
     {}, "notes"),
])
def test_a_nul_character_is_422_naming_the_field(shop, agent_api, method, path, body, query, field):
    # PostgreSQL cannot store NUL in text: this was a database error (500) there, and stored on SQLite
    path = path.format(customer=shop.customer.pk)
    with nothing_written():
        response = agent_api.request(method, path, body, **query)
    assert (response.status_code, response.json()) == (422, {"errors": {field: ["Null characters are not allowed."]}})


def test_an_order_number_with_a_nul_character_is_404(shop, agent_api):
    response = agent_api.get("/api/orders/HL\x00")
    assert response.status_code == 404


@pytest.mark.parametrize("command", ["hangup", "hold", "pickup"])
def test_a_call_id_with_a_nul_character_is_an_unknown_call(shop, as_role, command, english):
    response = as_role("supervisor").post(f"/api/engine/calls/x%00y/{command}", {})
    assert (response.status_code, response.json()["code"]) == (409, "unknown_call")
