"""Business reports (/reports/business/): every section's figures exact (money to the fen), finance equal to
the daily close's own figures, callers by region, carrier, gender and new/returning, and the view's answers.

The story (local time; period 1–6 Dec 2026; 2 massagers = ¥796 with a free cushion, 20 points; a knee pad ¥99,
2 points; see tests/finance/world.py for the couriers):
- 28 Nov (the previous period): 赵六 (15000000000) orders a knee pad.
- 2 Dec 10:00, all shipped then: a (ZTO, 湖南's number, delivered 3 Dec 10:00), b (EMS, 湖南's number,
  delivered 2 Dec 16:00, remitted 3 Dec by EMS: ¥796, fee ¥11.94 → settled), d (SF, shipped), c (EMS, refused
  3 Dec 12:00); 张三 (北京) orders a knee pad (e) and cancels another (f). Three complaints: quality (open),
  quality (closed), delivery (in progress).
- Calls: 王小明 13800138000 on 24 Nov and twice in the period, 张三 13912345678, a landline 02087654321 and
  赵六 15000000000 once each in the period.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from django.utils import timezone

from hotline.finance.actions.payments import settle_if_paid
from hotline.finance.close import day_figures
from hotline.finance.models import LineOutcome, Payment, RemittanceLine, RemittanceStatement
from hotline.orders.actions import do_transition_order
from hotline.reports import business as b
from hotline.reports.periods import Period, parse_period
from hotline.service.actions import do_close_complaint, do_open_complaint, do_take_complaint
from tests import factories
from tests.calls.helpers import T0, Call, log
from tests.fakeclock import FakeClock as Clock
from tests.fakeclock import install_clock
from tests.finance.world import FinanceWorld, build_finance_world
from tests.logistics.world import add_address

pytestmark = pytest.mark.django_db
D = Decimal
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
HUNAN = "4008001000"
PERIOD = {"period": "custom", "from": "2026-12-01", "to": "2026-12-06", "grain": "day"}


def local(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch, local(28, 10, month=11))


def offset(moment: datetime.datetime) -> float:
    """Seconds after the call helpers' T0."""
    return (moment - T0).total_seconds()


class Story:
    def __init__(self, clock: Clock) -> None:
        self.fw: FinanceWorld = build_finance_world()
        fw, w = self.fw, self.fw.w
        cushion = factories.make_product("按摩靠枕", "59.00", points=0)
        factories.make_gift_rule(w.massager, cushion, buy=2, get=1)
        self.cushion = cushion
        self.hunan = factories.make_station("hunan", "湖南卫视")
        factories.make_hotline(HUNAN, self.hunan)
        factories.make_airing(self.hunan, local(2, 9, 50), cost="5000.00")
        zhao = factories.make_customer("赵六", "15000000000", "f")
        w.place((w.kneepad, 1), customer=zhao)
        clock.now = local(2, 10)
        tv = {"hotline_number": HUNAN, "called_at": local(2, 9, 55)}
        self.a = fw.delivered(w.zto, at=local(3, 10), **tv)
        self.b = fw.delivered(w.ems, at=local(2, 16), **tv)
        self.d = fw.shipped(w.sf)
        self.c = fw.refused(w.ems, at=local(3, 12))
        zhang = factories.make_customer("张三", "13912345678", "f")
        add_address(zhang, "北京", "北京", "朝阳区", "建国路1号")
        self.e = w.place((w.kneepad, 1), customer=zhang)
        f = w.place((w.kneepad, 1), customer=zhang)
        do_transition_order(f, "cancelled", actor=w.agent, reason="不要了")
        clock.now = local(2, 11)
        supervisor = factories.make_user("supervisor")
        do_open_complaint(w.customer, "坏了", actor=w.agent, category="product_quality")
        done = do_open_complaint(w.customer, "又坏了", actor=w.agent, category="product_quality")
        do_close_complaint(done, "换货", actor=supervisor)
        late = do_open_complaint(w.customer, "太慢", actor=w.agent, category="delivery")
        do_take_complaint(late, actor=supervisor)
        clock.now = local(3, 9)
        self.remit(self.b, "796.00", "11.94")
        clock.now = local(4, 9)
        log(Call("old", 0, caller="13800138000"),
            Call("c1", offset(local(2, 10)), caller="13800138000"),
            Call("c2", offset(local(2, 11)), caller="13800138000"),
            Call("c3", offset(local(2, 12)), caller="13912345678"),
            Call("c4", offset(local(3, 12)), caller="02087654321"),
            Call("c5", offset(local(4, 8)), caller="15000000000"))

    def remit(self, parcel: Any, collected: str, fee: str) -> None:
        """A courier's remittance of one parcel as the remittance apply records it (as tests/finance do)."""
        fw = self.fw
        statement = RemittanceStatement.objects.create(
            courier=parcel.courier, number=f"R{parcel.pk}", collected_total=D(collected), fee_total=D(fee),
            net_total=D(collected) - D(fee), applied_by=fw.finance)
        line = RemittanceLine.objects.create(
            statement=statement, line=1, tracking_number=parcel.tracking_number or "", collected=D(collected),
            fee=D(fee), net=D(collected) - D(fee), outcome=LineOutcome.MATCHED, shipment=parcel, order=parcel.order,
            expected=parcel.cod_due, expected_fee=D(fee), recorded_by=fw.finance)
        Payment.objects.create(order=parcel.order, method="cod", amount=D(collected), payer=parcel.courier.name,
                               received_at=timezone.now(), remittance_line=line, recorded_by=fw.finance)
        settle_if_paid(parcel.order, actor=fw.finance)


@pytest.fixture
def story(clock: Clock) -> Story:
    return Story(clock)


def period() -> Period:
    return parse_period(PERIOD, now=local(4, 9))


def test_sales(story: Story) -> None:
    w = story.fw.w
    p = period()
    assert b.sales_totals(p) == {"orders": 5, "value": D("3283.00"), "delivered": 2, "revenue": D("1592.00"),
                                 "units": 9}
    products = b.sales_by_product(p)
    assert products[w.massager.pk] == {"name": "颈椎按摩仪", "orders": 4, "units": 8, "value": D("3184.00"),
                                       "delivered": 2, "revenue": D("1592.00")}
    assert products[w.kneepad.pk] == {"name": "护膝", "orders": 1, "units": 1, "value": D("99.00"), "delivered": 0,
                                      "revenue": D("0.00")}
    assert story.cushion.pk not in products
    assert b.sales_by_supplier(p) == {None: {"name": "", "orders": 5, "units": 9, "value": D("3283.00"),
                                             "delivered": 2, "revenue": D("1592.00")}}
    assert b.sales_by_station(p) == {
        story.hunan.pk: {"orders": 2, "value": D("1592.00"), "delivered": 2, "revenue": D("1592.00")},
        None: {"orders": 3, "value": D("1691.00"), "delivered": 0, "revenue": D("0.00")}}
    assert b.sales_by_region(p) == {
        "广东": {"orders": 4, "value": D("3184.00"), "delivered": 2, "revenue": D("1592.00")},
        "北京": {"orders": 1, "value": D("99.00"), "delivered": 0, "revenue": D("0.00")}}
    assert b.sales_by_bucket(p) == {local(2, 0): {"orders": 5, "value": D("3283.00"), "delivered": 2,
                                                  "revenue": D("1592.00")}}
    assert b.sales_totals(p.previous())["value"] == D("99.00")


def test_gifts_and_points(story: Story) -> None:
    p = period()
    assert b.gifts_by_product(p) == {story.cushion.pk: {"name": "按摩靠枕", "issued": 4, "orders": 4,
                                                        "delivered_units": 2}}
    assert b.gift_totals(p) == {"issued": 4, "delivered_units": 2, "orders": 4}
    assert b.points_totals(p) == {"orders": 5, "points": 82, "earned": 40}
    assert b.points_by_bucket(p) == {local(2, 0): {"orders": 5, "points": 82, "earned": 40}}


def test_complaints(story: Story) -> None:
    p = period()
    assert b.complaints_by_category(p) == {
        "product_quality": {"total": 2, "open": 1, "in_progress": 0, "closed": 1},
        "delivery": {"total": 1, "open": 0, "in_progress": 1, "closed": 0}}
    assert b.complaint_totals(p) == {"total": 3, "open": 1, "in_progress": 1, "closed": 1,
                                     "closed_share": Fraction(1, 3)}


def test_logistics(story: Story) -> None:
    w = story.fw.w
    p = period()
    assert b.logistics_totals(p) == {"shipped": 4, "delivered": 2, "refused": 1, "refusal_rate": Fraction(1, 3),
                                     "delivery_days": Fraction(5, 8)}
    by_courier = {pk: figures.as_dict() for pk, figures in b.parcels_by(p, "courier_id").items()}
    assert by_courier == {
        w.ems.pk: {"shipped": 2, "delivered": 1, "refused": 1, "refusal_rate": Fraction(1, 2),
                   "delivery_days": Fraction(1, 4)},
        w.zto.pk: {"shipped": 1, "delivered": 1, "refused": 0, "refusal_rate": 0, "delivery_days": 1},
        w.sf.pk: {"shipped": 1, "delivered": 0, "refused": 0, "refusal_rate": None, "delivery_days": None}}
    assert {k: v.as_dict()["refusal_rate"] for k, v in b.parcels_by(p, "order__province").items()} == {
        "广东": Fraction(1, 3)}


def test_finance_equals_the_daily_close(story: Story) -> None:
    w = story.fw.w
    p = period()
    assert b.remitted_by_courier(p) == {w.ems.pk: {"count": 1, "amount": D("796.00"), "fee": D("11.94"),
                                                   "net": D("784.06")}}
    assert b.outstanding_by_courier(p) == {w.zto.pk: {"count": 1, "amount": D("796.00")}}
    totals = b.finance_totals(p)
    assert totals == {"remitted_count": 1, "remitted": D("796.00"), "fee": D("11.94"), "net": D("784.06"),
                      "other_payments": D("0.00"), "refunds": D("0.00"), "settled": D("796.00"),
                      "reversed": D("0.00"), "settlements": D("796.00"), "outstanding_count": 1,
                      "outstanding": D("796.00")}
    days = [day_figures(datetime.date(2026, 12, day)) for day in range(1, 7)]
    assert totals["remitted"] == sum(D(day["remitted"]["amount"]) for day in days)
    assert totals["net"] == sum(D(day["remitted"]["net"]) for day in days)
    assert totals["settlements"] == sum(D(day["settlements"]["amount"]) for day in days)
    assert totals["outstanding"] == D(days[-1]["outstanding"]["amount"])


def test_callers(story: Story) -> None:
    report = b.caller_report(period())

    def plain(found: dict[str, b.CallerFigures]) -> dict[str, tuple[int, int]]:
        return {key: (figures.calls, figures.callers) for key, figures in found.items()}

    assert plain(report.regions) == {"北京": (2, 1), "江苏": (1, 1), "广东": (1, 1), "上海": (1, 1)}
    assert plain(report.carriers) == {"移动": (4, 3), "": (1, 1)}
    assert plain(report.genders) == {"m": (2, 1), "f": (2, 2), "": (1, 1)}
    assert plain(report.kinds) == {"returning": (3, 2), "new": (2, 2)}
    assert report.lookups == 4 and report.skipped == 0
    assert b.caller_totals(period()) == {"calls": 5, "callers": 4, "new": 2, "returning": 2}


def test_caller_lookups_are_bounded(story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(b, "MAX_PREFIXES", 1)
    report = b.caller_report(period())
    assert report.lookups == 1 and report.skipped == 3
    assert (report.regions["北京"].calls, report.regions[""].calls) == (2, 3)


# ---------------------------------------------------------------- the view

def get(client: Any, user: Any, **params: str) -> Any:
    client.force_login(user)
    return client.get("/reports/business/", {**PERIOD, **params})


def tables(response: Any) -> dict[str, Any]:
    return {table.key: table for table in response.context["tables"]}


def test_every_section_answers(story: Story, client: Any, english: None) -> None:
    manager = story.fw.manager
    for section in ("sales", "gifts", "points", "complaints", "logistics", "finance", "callers"):
        response = get(client, manager, section=section, compare="1")
        assert response.status_code == 200, section
        assert "compare" in tables(response)
        assert response.context["charts"], section
    sales = tables(get(client, manager, compare="1"))
    compare = {row["metric"]: (row["now"], row["before"], row["change"]) for row in sales["compare"].rows}
    assert compare["Ordered value"] == ("¥3,283.00", "¥99.00", "+¥3,184.00")
    assert compare["Orders"] == ("5", "1", "+4")
    region = {row["name"]: row["value"] for row in sales["sales-region"].rows}
    assert region == {"广东": D("3184.00"), "北京": D("99.00")}
    drills = {row["name"]: row["_drill"]["orders"].params["station"] for row in sales["sales-station"].rows}
    assert drills == {"湖南卫视": str(story.hunan.pk), "Not attributed": "none"}
    money = tables(get(client, manager, section="finance"))
    assert {row["name"]: row["amount"] for row in money["finance-summary"].rows}["Net paid"] == D("784.06")
    assert "¥784.06" in get(client, manager, section="finance").content.decode()


def test_access_and_bad_input(story: Story, client: Any, english: None) -> None:
    assert get(client, factories.make_user("agent")).status_code == 403
    supervisor = factories.make_user("supervisor")
    assert get(client, supervisor, section="logistics").status_code == 200
    assert get(client, supervisor, section="finance").status_code == 403
    assert "Finance" not in [str(label) for _k, label in get(client, supervisor).context["sections"]]
    manager = story.fw.manager
    for params, words in (({"section": "nope"}, "Unknown section: nope"),
                          ({"station": "abc"}, "Unknown filter: station"),
                          ({"from": "2026-12-06", "to": "2026-12-01"}, "before it starts")):
        response = get(client, manager, **params)
        assert response.status_code == 400, params
        assert words in response.content.decode()


def test_drill_from_a_sales_figure_gives_exactly_its_orders(story: Story, client: Any, english: None) -> None:
    from hotline.reports import drills  # noqa: F401 — registers the shared drill-downs
    from hotline.reports.drill import find

    sales = tables(get(client, story.fw.manager))
    for row in sales["sales-station"].rows + sales["sales-region"].rows + sales["sales-product"].rows:
        for figure in ("orders", "delivered"):
            drill = row["_drill"][figure]
            found = find(drill.name)(drill.params)  # type: ignore[misc]
            assert found.count == row[figure], (row["name"], figure)
    hunan = next(row for row in sales["sales-station"].rows if row["name"] == "湖南卫视")
    drill = hunan["_drill"]["orders"]
    numbers = {r["number"] if isinstance(r, dict) else r.number for r in find(drill.name)(drill.params).rows}  # type: ignore[misc]
    assert numbers == {story.a.order.number, story.b.order.number}
