"""The daily close: figures from the rows (to the fen), the rows behind each figure add up to it, a close
stored once and never changed, a later correction counted on its own day, and the PDF and Excel of it.

The clock is Django's (`timezone.now`), set per step by the `clock` fixture (time_machine is not
installed): every row is recorded at the time the clock says, so each lands on a known business day.

The story (2 massagers = ¥796 per order; freight ZTO ¥16, EMS ¥21, SF ¥27; see tests/finance/world.py):
- day 1 (2 Dec): orders A (ZTO, delivered, ¥100 paid by transfer), B (EMS, delivered, paid ¥796 → settled),
  C (EMS, refused), D (SF, shipped), F (prepaid, paid ¥796 by transfer, not reviewed), G (ZTO, delivered,
  remitted by ZTO: collected ¥796, fee ¥7.96 → settled), E (one knee pad, ¥99, only ordered).
- day 2 (3 Dec): A's ¥100 corrected, C comes back (return freight 50 % of ¥21 = ¥10.50), B returned by the
  customer (settlement reversed) and refunded, F cancelled and refunded, D delivered.
"""

from __future__ import annotations

import datetime
import io
import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.utils import timezone, translation
from openpyxl import load_workbook

from hotline.accounts.models import AuditEntry
from hotline.finance.actions.close import do_close_day
from hotline.finance.actions.payments import do_correct_payment, do_record_payment, do_record_refund, settle_if_paid
from hotline.finance.close import FIGURE_KEYS, FIGURES, day_figures, day_view, figure_rows
from hotline.finance.close_documents import render_close_pdf, render_close_xlsx
from hotline.finance.models import DailyClose, LineOutcome, Payment, RemittanceLine, RemittanceStatement
from hotline.lib.money import yuan
from hotline.logistics.actions.events import do_record_shipment_event
from hotline.logistics.actions.returns import ReturnedGoods, do_receive_return
from hotline.logistics.models import Condition, EventKind, EventSource, Shipment
from hotline.orders.actions import do_transition_order
from hotline.orders.models import Order
from tests.fakeclock import FakeClock as Clock
from tests.fakeclock import install_clock
from tests.finance.world import FinanceWorld, build_finance_world

pytestmark = pytest.mark.django_db
D = Decimal
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
DAY1, DAY2, DAY3 = datetime.date(2026, 12, 2), datetime.date(2026, 12, 3), datetime.date(2026, 12, 4)


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch, local(DAY1, 9))


def remit(fw: FinanceWorld, parcel: Shipment, collected: str, fee: str) -> Payment:
    """A courier's remittance of one parcel, as the remittance import records it (built through the
    models: the import's action belongs to another module)."""
    statement = RemittanceStatement.objects.create(
        courier=parcel.courier, number=f"R{parcel.pk}", collected_total=D(collected), fee_total=D(fee),
        net_total=D(collected) - D(fee), applied_by=fw.finance)
    line = RemittanceLine.objects.create(
        statement=statement, line=1, tracking_number=parcel.tracking_number or "", collected=D(collected),
        fee=D(fee), net=D(collected) - D(fee), outcome=LineOutcome.MATCHED, shipment=parcel, order=parcel.order,
        expected=parcel.cod_due, expected_fee=D(fee), recorded_by=fw.finance)
    payment = Payment.objects.create(order=parcel.order, method="cod", amount=D(collected), payer=parcel.courier.name,
                                     received_at=timezone.now(), remittance_line=line, recorded_by=fw.finance)
    settle_if_paid(parcel.order, actor=fw.finance)
    return payment


def all_back(order: Order) -> list[ReturnedGoods]:
    return [ReturnedGoods(line.pk, line.quantity, Condition.GOOD) for line in order.lines.all()]


class Story:
    """The parcels and payments of the module's story, by letter."""

    def __init__(self, fw: FinanceWorld, clock: Clock) -> None:
        w = fw.w
        clock.set(local(DAY1, 10))
        self.a = fw.delivered(w.zto, at=local(DAY1, 10))
        self.b = fw.delivered(w.ems, at=local(DAY1, 10))
        self.c = fw.refused(w.ems, at=local(DAY1, 10))
        self.d = fw.shipped(w.sf)
        self.f = w.place(payment_method="transfer")
        self.g = fw.delivered(w.zto, at=local(DAY1, 10))
        self.e = w.place((w.kneepad, 1))
        clock.set(local(DAY1, 15))
        self.a_paid = do_record_payment(self.a.order, method="transfer", amount="100.00", actor=fw.finance)
        do_record_payment(self.b.order, method="transfer", amount="796.00", actor=fw.finance)
        do_record_payment(self.f, method="transfer", amount="796.00", actor=fw.finance)
        clock.set(local(DAY1, 23, 59))
        remit(fw, self.g, "796.00", "7.96")

    def day2(self, fw: FinanceWorld, clock: Clock) -> None:
        w = fw.w
        clock.set(local(DAY2, 0, 1))
        do_correct_payment(self.a_paid, reason="entered twice", actor=fw.finance)
        clock.set(local(DAY2, 11))
        do_receive_return(self.c.order, all_back(self.c.order), actor=w.clerk)
        do_receive_return(self.b.order, all_back(self.b.order), actor=w.clerk)
        do_record_refund(self.b.order, method="transfer", amount="796.00", reason="returned", actor=fw.finance)
        do_transition_order(self.f, "cancelled", actor=w.agent, reason="changed mind")
        do_record_refund(self.f, method="transfer", amount="796.00", reason="cancelled", actor=fw.finance)
        do_record_shipment_event(self.d, EventKind.DELIVERED, local(DAY2, 11), source=EventSource.MANUAL,
                                 actor=w.clerk)


@pytest.fixture
def fw() -> FinanceWorld:
    return build_finance_world()


@pytest.fixture
def story(fw: FinanceWorld, clock: Clock) -> Story:
    return Story(fw, clock)


DAY1_FIGURES = {
    "orders_taken": {"count": 7, "value": "4875.00"},
    "reviewed": {"count": 5, "value": "3980.00"},
    "shipped": {"count": 5, "value": "3980.00", "freight": "101.00"},
    "delivered": {"count": 3, "value": "2388.00"},
    "refused": {"count": 1, "value": "796.00", "freight": "21.00", "return_freight": "0.00",
                "freight_both_ways": "21.00"},
    "returned": {"count": 0, "value": "0.00"},
    "remitted": {"count": 1, "amount": "796.00", "fee": "7.96", "net": "788.04"},
    "other_payments": {"count": 3, "amount": "1692.00"},
    "refunds": {"count": 0, "amount": "0.00"},
    "settlements": {"count": 2, "amount": "1592.00", "settled": "1592.00", "reversed": "0.00"},
    "outstanding": {"count": 1, "amount": "696.00", "by_courier": {"zto": {"count": 1, "amount": "696.00"}}},
}
DAY2_FIGURES = {
    "orders_taken": {"count": 0, "value": "0.00"},
    "reviewed": {"count": 0, "value": "0.00"},
    "shipped": {"count": 0, "value": "0.00", "freight": "0.00"},
    "delivered": {"count": 1, "value": "796.00"},
    "refused": {"count": 0, "value": "0.00", "freight": "0.00", "return_freight": "0.00",
                "freight_both_ways": "0.00"},
    "returned": {"count": 2, "value": "1592.00"},
    "remitted": {"count": 0, "amount": "0.00", "fee": "0.00", "net": "0.00"},
    "other_payments": {"count": 1, "amount": "-100.00"},
    "refunds": {"count": 2, "amount": "1592.00"},
    "settlements": {"count": 1, "amount": "-796.00", "settled": "0.00", "reversed": "-796.00"},
    "outstanding": {"count": 2, "amount": "1592.00", "by_courier": {"sf": {"count": 1, "amount": "796.00"},
                                                                    "zto": {"count": 1, "amount": "796.00"}}},
}


# ---------------------------------------------------------------- figures

def test_a_days_figures_are_computed_from_its_rows_to_the_fen(story: Story) -> None:
    assert day_figures(DAY1) == DAY1_FIGURES
    assert list(day_figures(DAY1)) == list(FIGURE_KEYS)


def test_rows_recorded_on_the_next_day_count_on_the_next_day(fw: FinanceWorld, clock: Clock,
                                                              story: Story) -> None:
    story.day2(fw, clock)
    clock.set(local(DAY3, 9))
    assert day_figures(DAY2) == DAY2_FIGURES


def test_a_past_days_outstanding_is_replayed_to_its_end_not_taken_as_now(fw: FinanceWorld, clock: Clock,
                                                                         story: Story) -> None:
    """A's ¥100 was corrected on day 2 and D delivered on day 2: neither moves day 1's receivables."""
    story.day2(fw, clock)
    clock.set(local(DAY3, 9))
    remit(fw, story.a, "796.00", "7.96")  # A settled on day 3: it has moved on since days 1 and 2
    clock.set(local(DAY3 + datetime.timedelta(days=1), 9))
    assert Order.objects.get(pk=story.a.order_id).status == "settled"
    assert day_figures(DAY1)["outstanding"] == DAY1_FIGURES["outstanding"]
    assert [(p.order_id, p.amount, p.paid) for p in figure_rows(DAY1, "outstanding")] == [
        (story.a.order_id, D("696.00"), D("100.00"))]
    assert day_figures(DAY2)["outstanding"] == DAY2_FIGURES["outstanding"]
    assert day_figures(DAY3)["outstanding"] == {
        "count": 1, "amount": "796.00", "by_courier": {"sf": {"count": 1, "amount": "796.00"}}}


def test_today_outstanding_is_the_live_receivables(fw: FinanceWorld, clock: Clock, story: Story) -> None:
    from hotline.finance.receivables import receivables

    story.day2(fw, clock)
    live = receivables(DAY2)
    figure = day_figures(DAY2)["outstanding"]
    assert (figure["count"], figure["amount"]) == (live.total.count, str(live.total.total)) == (2, "1592.00")


@pytest.mark.parametrize("day", [DAY1, DAY2])
def test_the_rows_behind_every_figure_add_up_to_it(fw: FinanceWorld, clock: Clock, story: Story,
                                                    day: datetime.date) -> None:
    story.day2(fw, clock)
    clock.set(local(DAY3, 9))
    figures = day_figures(day)
    for figure in FIGURES:
        rows = list(figure_rows(day, figure.key))
        assert len(rows) == figures[figure.key]["count"], figure.key
        for name, _label in figure.fields:
            total = sum((yuan(getattr(row, name)) for row in rows), D("0.00"))
            assert str(total) == figures[figure.key][name], (figure.key, name)


def test_the_rows_are_the_days_own_rows(story: Story) -> None:
    assert [step.order_id for step in figure_rows(DAY1, "delivered")] == [
        story.a.order_id, story.b.order_id, story.g.order_id]
    assert [(p.order_id, p.amount) for p in figure_rows(DAY1, "other_payments")] == [
        (story.a.order_id, D("100.00")), (story.b.order_id, D("796.00")), (story.f.pk, D("796.00"))]
    assert [(p.order_id, p.fee, p.net) for p in figure_rows(DAY1, "remitted")] == [
        (story.g.order_id, D("7.96"), D("788.04"))]


def test_an_unknown_figure_has_no_rows(story: Story) -> None:
    with pytest.raises(KeyError):
        figure_rows(DAY1, "profit")


# ---------------------------------------------------------------- closing

def test_closing_a_day_stores_its_figures_once_and_a_later_correction_counts_on_its_own_day(
        fw: FinanceWorld, clock: Clock, story: Story) -> None:
    clock.set(local(DAY2, 0, 0))
    close = do_close_day(DAY1, actor=fw.finance)
    assert (close.day, close.figures, close.recorded_by) == (DAY1, DAY1_FIGURES, fw.finance)
    assert AuditEntry.objects.filter(action="close_day", object_id=str(close.pk)).count() == 1

    story.day2(fw, clock)  # corrections and returns after the close
    clock.set(local(DAY3, 9))
    assert DailyClose.objects.get(day=DAY1).figures == DAY1_FIGURES
    view = day_view(DAY1)
    assert (view.figures, view.live, view.closable) == (DAY1_FIGURES, False, False)
    assert day_figures(DAY2)["other_payments"] == {"count": 1, "amount": "-100.00"}
    # Live, day 1 now knows C's return freight (recorded on day 2); the close keeps what was known.
    assert day_figures(DAY1)["refused"]["freight_both_ways"] == "31.50"


def test_a_day_is_closed_only_once(fw: FinanceWorld, clock: Clock, story: Story, english: None) -> None:
    clock.set(local(DAY2, 8))
    first = do_close_day(DAY1, actor=fw.finance)
    with pytest.raises(ValidationError) as refused:
        do_close_day(DAY1, actor=fw.finance)
    assert refused.value.message_dict["day"] == [
        "2026-12-02 was closed already, by cashier at Dec. 3, 2026, 8 a.m.: a closed day keeps its figures. "
        "Corrections made since then count on the day they were made."]
    assert list(DailyClose.objects.values_list("pk", flat=True)) == [first.pk]


def test_today_cannot_be_closed_nor_a_day_to_come(fw: FinanceWorld, clock: Clock, story: Story,
                                                  english: None) -> None:
    clock.set(local(DAY1, 23, 59))
    for day in (DAY1, DAY2):
        with pytest.raises(ValidationError) as refused:
            do_close_day(day, actor=fw.finance)
        assert refused.value.message_dict["day"] == [
            f"{day.isoformat()} is not over yet: a day can be closed from the next day on."]
    assert DailyClose.objects.count() == 0
    view = day_view(DAY1)
    assert (view.live, view.closable) == (True, False)


def test_only_finance_closes_a_day(fw: FinanceWorld, clock: Clock, story: Story) -> None:
    clock.set(local(DAY2, 8))
    for user in (fw.manager, fw.w.clerk, fw.w.agent):
        with pytest.raises(PermissionDenied):
            do_close_day(DAY1, actor=user)
    assert (DailyClose.objects.count(), AuditEntry.objects.filter(action="close_day").count()) == (0, 0)
    assert day_view(DAY1).closable


# ---------------------------------------------------------------- documents

def pdf_text(data: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode()


def test_the_close_pdf_shows_the_title_the_figures_and_who_closed(fw: FinanceWorld, clock: Clock,
                                                                   story: Story) -> None:
    clock.set(local(DAY2, 8))
    do_close_day(DAY1, actor=fw.finance)
    with translation.override("zh-hans"):
        data = render_close_pdf(day_view(DAY1))
        title = translation.gettext("Daily close report %(day)s") % {"day": "2026-12-02"}
        shipped = translation.gettext("Shipped")
    text = pdf_text(data)
    assert data.startswith(b"%PDF")
    assert title in text
    assert shipped == "已发货" and shipped in text
    assert "4,875.00" in text and "788.04" in text and "cashier" in text


def test_the_close_workbook_has_the_figures_and_a_sheet_of_rows_per_figure(fw: FinanceWorld, clock: Clock,
                                                                            story: Story, english: None) -> None:
    clock.set(local(DAY2, 8))
    data = render_close_xlsx(day_view(DAY1))
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Figures", *[str(figure.label)[:31] for figure in FIGURES]]
    summary = [(*row[:3], yuan(D(str(row[3])))) for row in book["Figures"].iter_rows(min_row=2, values_only=True)]
    assert next(book["Figures"].iter_rows(values_only=True)) == ("Figure", "Count", "Of", "Amount")
    assert ("Shipped", 5, "Freight", D("101.00")) in summary
    assert ("Remitted by couriers", 1, "COD fee", D("7.96")) in summary
    assert ("Outstanding receivables · ZTO", 1, "Amount", D("696.00")) in summary
    sheet = book["Other payments"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Order number"
    assert sum(D(str(row[-1])) for row in rows[1:]) == D("1692.00")
    assert [row[0] for row in rows[1:]] == [story.a.order.number, story.b.order.number, story.f.number]


def test_payments_recorded_as_rows_add_up_like_the_figure(story: Story) -> None:
    """An independent sum straight from the payment rows of the day."""
    start = local(DAY1, 0)
    others = Payment.objects.filter(remittance_line__isnull=True, recorded_at__gte=start,
                                    recorded_at__lt=start + datetime.timedelta(days=1))
    assert str(yuan(others.aggregate(total=Sum("amount"))["total"])) == day_figures(DAY1)["other_payments"]["amount"]
