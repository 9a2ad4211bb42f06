"""The payments tab (/finance/payments/) as anonymous, agent, logistics, manager (sees, cannot write) and
finance: find an order, its balance and money rows, record and correct payments and refunds; bad input
answers 422 with the field's error and writes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from hotline.accounts.models import AuditEntry
from hotline.finance.actions.payments import do_record_payment
from hotline.finance.models import Payment, Refund, SettlementEntry
from hotline.logistics.actions import ReturnedGoods, do_receive_return
from hotline.orders.models import Order, Status
from tests.finance.world import FinanceWorld, build_finance_world
from tests.logistics.world import walk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
D = Decimal


@pytest.fixture
def fw() -> FinanceWorld:
    return build_finance_world()


def client_for(user: Any = None, *, htmx: bool = False) -> Client:
    headers = {"accept-language": "en", **({"hx-request": "true"} if htmx else {})}
    client = Client(headers=headers)
    if user is not None:
        client.force_login(user)
    return client


def money() -> dict[str, Any]:
    return {"payments": list(Payment.objects.order_by("pk").values_list("pk", "amount")),
            "refunds": list(Refund.objects.order_by("pk").values_list("pk", "amount")),
            "entries": SettlementEntry.objects.count(), "audit": AuditEntry.objects.count(),
            "orders": list(Order.objects.order_by("pk").values_list("pk", "status"))}


def urls(order: Order, payment: Payment) -> dict[str, str]:
    base = "/finance/payments"
    return {"page": f"{base}/", "order": f"{base}/orders/{order.number}/", "pay": f"{base}/orders/{order.number}/pay",
            "refund": f"{base}/orders/{order.number}/refund", "correct": f"{base}/payment/{payment.pk}/correct"}


POST_DATA = {"method": "transfer", "amount": "10.00", "reason": "test", "payer": "王小明"}


@pytest.fixture
def paid(fw: FinanceWorld) -> tuple[Order, Payment]:
    """A prepaid order with ¥300.00 of its ¥796.00 in."""
    order = fw.w.place(payment_method="transfer")
    return order, do_record_payment(order, method="transfer", amount="300.00", actor=fw.finance, payer="王小明")


# ---------------------------------------------------------------- access

def test_anonymous_users_are_sent_to_sign_in_and_nothing_changes(paid: tuple[Order, Payment]) -> None:
    links = urls(*paid)
    before = money()
    for name, url in links.items():
        response = client_for().post(url, POST_DATA) if name in ("pay", "refund", "correct") else client_for().get(url)
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={quote(url)}")
    assert money() == before


@pytest.mark.parametrize("role", ["agent", "logistics", "supervisor"])
def test_users_without_finance_may_neither_see_nor_write(paid: tuple[Order, Payment], users: dict[str, Any],
                                                         role: str) -> None:
    links = urls(*paid)
    before = money()
    client = client_for(users[role])
    for url in (links["page"], links["order"]):
        assert client.get(url).status_code == 403
    for name in ("pay", "refund", "correct"):
        assert client.post(links[name], POST_DATA).status_code == 403
    assert money() == before


def test_a_manager_sees_the_money_but_has_no_forms_and_may_not_post(paid: tuple[Order, Payment],
                                                                   users: dict[str, Any]) -> None:
    links = urls(*paid)
    client = client_for(users["manager"])
    page = client.get(links["order"])
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-figure="paid">¥300.00<' in html and 'data-figure="due">¥496.00<' in html
    assert 'id="payment-form"' not in html and 'id="refund-form"' not in html and "/correct" not in html
    before = money()
    for name in ("pay", "refund", "correct"):
        assert client.post(links[name], POST_DATA).status_code == 403
    assert money() == before


# ---------------------------------------------------------------- finding an order

def test_an_order_number_opens_the_order(fw: FinanceWorld, paid: tuple[Order, Payment]) -> None:
    order, _payment = paid
    response = client_for(fw.finance).get("/finance/payments/", {"q": f" {order.number.lower()} "})
    assert (response.status_code, response["Location"]) == (302, f"/finance/payments/orders/{order.number}/")


def test_a_phone_lists_the_customers_orders_newest_first(fw: FinanceWorld) -> None:
    first, second = fw.w.place(payment_method="transfer"), fw.w.place()
    response = client_for(fw.finance).get("/finance/payments/", {"q": "138 0013 8000"})
    assert response.status_code == 200
    assert [order.number for order in response.context["found"]] == [second.number, first.number]


def test_nothing_found_says_so(fw: FinanceWorld) -> None:
    response = client_for(fw.finance).get("/finance/payments/", {"q": "HL-NONE"})
    assert response.status_code == 200
    assert response.context["lookup"].errors == {"q": ["No order has the number or phone “HL-NONE”."]}
    assert client_for(fw.finance).get("/finance/payments/orders/HL-NONE/").status_code == 404


def test_the_order_page_shows_the_balance_and_the_rows_newest_first(fw: FinanceWorld) -> None:
    order = fw.delivered(fw.w.zto).order
    first = do_record_payment(order, method="cod", amount="296.00", actor=fw.finance)
    client = client_for(fw.finance)
    client.post(f"/finance/payments/payment/{first.pk}/correct", {"reason": "wrong order"})
    do_record_payment(order, method="cod", amount="796.00", actor=fw.finance)  # settles it

    response = client.get(f"/finance/payments/orders/{order.number}/")

    context = response.context
    assert (context["balance"].charge, context["balance"].paid, context["balance"].due) == (
        D("796.00"), D("796.00"), D("0.00"))
    rows = [(line.kind, line.amount, line.corrects, line.corrected_by, line.correctable) for line in context["lines"]]
    correction = Payment.objects.get(corrects=first)
    assert rows == [("settlement", D("796.00"), None, None, False),
                    ("payment", D("796.00"), None, None, False),  # settled: no longer correctable
                    ("payment", D("-296.00"), first.pk, None, False),
                    ("payment", D("296.00"), None, correction.pk, False)]
    html = response.content.decode()
    assert f"cancels #{first.pk}" in html and f"cancelled by #{correction.pk}" in html


# ---------------------------------------------------------------- writing

def test_finance_records_a_payment_and_lands_on_the_order(fw: FinanceWorld, paid: tuple[Order, Payment]) -> None:
    order, _payment = paid
    client = client_for(fw.finance)
    response = client.post(f"/finance/payments/orders/{order.number}/pay", {
        "method": "postal", "amount": "496.00", "payer": "王小明", "reference": "汇-8",
        "received_at": "2026-12-01T10:30", "note": ""})
    assert (response.status_code, response["Location"]) == (302, f"/finance/payments/orders/{order.number}/")
    payment = Payment.objects.latest("pk")
    assert (payment.method, payment.amount, payment.reference, payment.recorded_by) == (
        "postal", D("496.00"), "汇-8", fw.finance)
    assert payment.received_at.isoformat() == "2026-12-01T02:30:00+00:00"  # typed in Shanghai time
    page = client.get(response["Location"])
    assert f"Payment of ¥496.00 recorded for order {order.number}." in page.content.decode()


def test_htmx_gets_the_panel_with_the_new_balance(fw: FinanceWorld, paid: tuple[Order, Payment]) -> None:
    order, _payment = paid
    response = client_for(fw.finance, htmx=True).post(f"/finance/payments/orders/{order.number}/pay",
                                                      {"method": "transfer", "amount": "100"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section class="card" id="order-panel">')
    assert 'data-figure="paid">¥400.00<' in html and 'data-figure="due">¥396.00<' in html
    assert 'id="today" hx-swap-oob="true"' in html


@pytest.mark.parametrize(("amount", "error"), [
    ("abc", "Write the amount in yuan, such as 398.00."),
    ("", "Write the amount in yuan, such as 398.00."),
    ("-5", "The amount must be more than zero."),
    ("0", "The amount must be more than zero."),
    ("1.234", "At most two decimal places (fen)."),
    ("1e30", "The amount is too large."),
    ("496.01", "Order {number} owes only ¥496.00."),
])
def test_a_bad_payment_answers_422_with_the_fields_error_and_writes_nothing(
        fw: FinanceWorld, paid: tuple[Order, Payment], amount: str, error: str) -> None:
    order, _payment = paid
    before = money()
    for htmx in (False, True):
        response = client_for(fw.finance, htmx=htmx).post(f"/finance/payments/orders/{order.number}/pay",
                                                          {"method": "transfer", "amount": amount})
        assert response.status_code == 422
        assert response.context["payment_form"].errors == {"amount": [error.format(number=order.number)]}
    assert money() == before


def test_a_payment_on_a_cancelled_order_is_refused(fw: FinanceWorld) -> None:
    order = walk(fw.w.place(payment_method="transfer"), Status.CANCELLED)
    before = money()
    response = client_for(fw.finance).post(f"/finance/payments/orders/{order.number}/pay",
                                           {"method": "transfer", "amount": "796.00"})
    assert response.status_code == 422
    assert response.context["payment_form"].non_field_errors() == [
        f"Order {order.number} is Cancelled: nothing is owed for it."]
    assert money() == before


def test_a_refund_after_a_return_and_its_limit(fw: FinanceWorld) -> None:
    order = fw.delivered(fw.w.zto).order
    do_record_payment(order, method="cod", amount="796.00", actor=fw.finance)
    do_receive_return(Order.objects.get(pk=order.pk), [ReturnedGoods(order.lines.get().pk, 2, "good")],
                      actor=fw.w.clerk)
    client = client_for(fw.finance)
    url = f"/finance/payments/orders/{order.number}/refund"
    before = money()
    too_much = client.post(url, {"method": "transfer", "amount": "796.01", "reason": "returned"})
    no_reason = client.post(url, {"method": "transfer", "amount": "796.00", "reason": ""})
    assert (too_much.status_code, no_reason.status_code) == (422, 422)
    assert too_much.context["refund_form"].errors == {
        "amount": [f"At most ¥796.00 can be refunded for order {order.number}."]}
    assert no_reason.context["refund_form"].errors == {"reason": ["Give a reason for this change."]}
    assert money() == before

    response = client.post(url, {"method": "transfer", "amount": "796.00", "reason": "returned", "reference": "R1"})

    assert response.status_code == 302
    assert list(Refund.objects.values_list("order_id", "amount", "reason", "reference")) == [
        (order.pk, D("796.00"), "returned", "R1")]


def test_a_payment_is_corrected_once_from_the_screen(fw: FinanceWorld, paid: tuple[Order, Payment]) -> None:
    order, payment = paid
    client = client_for(fw.finance, htmx=True)
    url = f"/finance/payments/payment/{payment.pk}/correct"
    before = money()
    empty = client.post(url, {"reason": " "})
    assert empty.status_code == 422
    assert empty.context["correction"].errors == {"reason": ["Give a reason for this change."]}
    assert money() == before

    done = client.post(url, {"reason": "wrong order"})

    assert done.status_code == 200
    assert list(Payment.objects.filter(order=order).order_by("pk").values_list("amount", "corrects")) == [
        (D("300.00"), None), (D("-300.00"), payment.pk)]
    after = money()
    again = client.post(url, {"reason": "again"})
    assert again.status_code == 422
    assert again.context["correction"].non_field_errors() == ["This payment was corrected already."]
    assert money() == after


def test_todays_rows_are_listed_with_totals(fw: FinanceWorld, paid: tuple[Order, Payment]) -> None:
    _order, payment = paid
    response = client_for(fw.finance).get("/finance/payments/")
    assert [row.pk for row in response.context["today_payments"]] == [payment.pk]
    totals = response.context["today_totals"]
    assert (totals["payments"], totals["remitted"], totals["refunds"]) == (
        {"n": 1, "total": D("300.00")}, {"n": 0, "total": D("0.00")}, {"n": 0, "total": D("0.00")})
    html = response.content.decode()
    assert "1 payments, ¥300.00" in html and "0 refunds, ¥0.00" in html
