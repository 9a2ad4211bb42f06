"""The airing funnel (/reports/funnel/): every call in exactly one bucket ("unexplained: 0"), an unmapped
outcome listed, the order stages and the money to the fen (reconciled with the orders and finance's
settlement rows), the response curve with the agents available, the drill-downs behind each figure
(exactly those rows), stations side by side, and the view's answers (200, 403, 400, Excel).

The story (local time, Asia/Shanghai; T0 = Tue 24 Nov 2026 20:00):
- 湖南 (number 4008001000) airs A at T0 (¥10,000). Its calls, one or two of every outcome, all written
  through the engine bridge with the airing on their arrival: answered "ans", left in the IVR "ivr",
  abandoned in the queue "aq" (37 s) and "sa" (2 s: a short abandon), callbacks "cb" (reached: its dial
  "dial1" was answered) and "cb2" (pending), voicemail "vm", rejected "rej", lines full "lim" (503),
  failed "fail", and "open" (ended without a hang-up: still open). 11 offered, 1 callback dial.
  Its orders (2 massagers ¥796 unless said): o1 delivered and paid (settled), o2 delivered, paid, then
  returned (settlement reversed) and refunded, o3 refused, o4 a knee pad ¥99 delivered and not paid yet,
  o5 shipped, o6 cancelled.
- 江苏 (number 4008002000) airs B at T0 + 10 min (¥8,000): two answered calls, o7 delivered.
"""

from __future__ import annotations

import dataclasses
import datetime
import random
from decimal import Decimal
from fractions import Fraction
from io import BytesIO
from typing import Any

import pytest
from django.test import Client

from hotline.calls.callback_actions import do_capture_callback, do_record_callback_change
from hotline.calls.models import AgentStateEvent, Direction
from hotline.catalog.models import Product
from hotline.finance.actions.payments import do_record_payment, do_record_refund
from hotline.finance.models import Refund, SettlementEntry
from hotline.logistics.actions.returns import ReturnedGoods, do_receive_return
from hotline.logistics.models import Condition
from hotline.orders.actions import do_transition_order
from hotline.orders.models import Order, Status
from hotline.reports import funnel as f
from hotline.reports.drill import find
from hotline.reports.models import CallFact
from hotline.reports.periods import parse_period
from hotline.telephony import events as ev
from hotline.telephony.ports import CallbackCapture, CallbackChange
from tests import factories
from tests.calls.helpers import T0, Call, log
from tests.fakeclock import FakeClock as Clock
from tests.fakeclock import install_clock
from tests.finance.world import FinanceWorld, build_finance_world

pytestmark = pytest.mark.django_db
D = Decimal
HUNAN, JIANGSU = "4008001000", "4008002000"
DAY: dict[str, Any] = {"period": "custom", "from": "2026-11-24", "to": "2026-11-24"}
# call → the bucket it must land in (A's inbound calls)
A_CALLS = {"ans": "answered", "ivr": "left_ivr", "aq": "abandoned", "sa": "abandoned", "cb": "callback",
           "cb2": "callback", "vm": "voicemail", "rej": "blocked", "lim": "blocked", "fail": "failed",
           "open": "open"}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch, T0)


def minutes(n: float) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=n)


def aired(call: Call, airing_id: int | None, **arrive: Any) -> Call:
    """The call with its arrival carrying the airing (as the engine attributes it) and other fields."""
    call.events[0] = dataclasses.replace(call.events[0], airing_id=airing_id, **arrive)  # type: ignore[call-arg]
    return call


class Story:
    """The module docstring's airings, calls and orders."""

    def __init__(self, clock: Clock) -> None:
        self.fw: FinanceWorld = build_finance_world()
        w = self.fw.w
        Product.objects.filter(pk=w.massager.pk).update(cost=D("150.00"))
        self.hunan = factories.make_station("hunan", "湖南卫视")
        self.jiangsu = factories.make_station("jiangsu", "江苏卫视")
        factories.make_hotline(HUNAN, self.hunan)
        factories.make_hotline(JIANGSU, self.jiangsu)
        self.a = factories.make_airing(self.hunan, T0, cost="10000.00", product=w.massager)
        self.b = factories.make_airing(self.jiangsu, minutes(10), cost="8000.00")
        self._calls(clock)
        self._orders(clock)
        self._agents()
        clock.set(minutes(24 * 60))

    def _calls(self, clock: Clock) -> None:
        a = self.a.pk
        cb = do_capture_callback(CallbackCapture(number="13900000001", hotline_number=HUNAN, airing_id=a,
                                                 call_id="cb", reason="requested", arrived_at=minutes(2)))
        do_capture_callback(CallbackCapture(number="13900000002", hotline_number=HUNAN, airing_id=a, call_id="cb2",
                                            reason="requested", arrived_at=minutes(2)))
        self.callback_id = cb.callback_id
        hang = ev.HangupCause
        log(aired(Call("ans", 0, dnis=HUNAN).queued().step(ev.Answer, 10, agent="a1").step(ev.Hangup, 70), a),
            aired(Call("ivr", 30, dnis=HUNAN).step(ev.IvrNode, 1, flow="main", node="menu").step(ev.Hangup, 4), a),
            aired(Call("aq", 60, dnis=HUNAN).queued().step(ev.Abandon, 40), a),
            aired(Call("sa", 65, dnis=HUNAN).queued().step(ev.Abandon, 5), a),
            aired(Call("cb", 120, dnis=HUNAN, caller="13900000001").queued()
                  .step(ev.CallbackRequest, 20, number="13900000001").step(ev.Hangup, 21), a),
            aired(Call("cb2", 130, dnis=HUNAN, caller="13900000002").queued()
                  .step(ev.CallbackRequest, 20, number="13900000002").step(ev.Hangup, 21), a),
            aired(Call("vm", 200, dnis=HUNAN).queued().step(ev.Hangup, 30, cause=hang.VOICEMAIL), a),
            aired(Call("rej", 300, dnis=HUNAN).step(ev.Hangup, 0.5, cause=hang.REJECTED), a),
            aired(Call("lim", 310, dnis=HUNAN).step(ev.Hangup, 0.5, cause=hang.REFUSED_503), a),
            aired(Call("fail", 400, dnis=HUNAN).queued().step(ev.Hangup, 8, cause=hang.FAILED), a),
            aired(Call("open", 700, dnis=HUNAN).queued(), a),
            aired(Call("dial1", 900, dnis="13900000001", caller=HUNAN).step(ev.Answer, 5, agent="a1")
                  .step(ev.Hangup, 60), None, direction=Direction.OUTBOUND, callback_id=cb.callback_id),
            aired(Call("b1", 660, dnis=JIANGSU).queued().step(ev.Answer, 10, agent="a2").step(ev.Hangup, 40),
                  self.b.pk),
            aired(Call("b2", 720, dnis=JIANGSU).queued().step(ev.Answer, 10, agent="a2").step(ev.Hangup, 40),
                  self.b.pk))
        do_record_callback_change(CallbackChange(callback_id=cb.callback_id, kind="answered", at=minutes(16),
                                                 status="answered", dial_attempts=1, call_id="dial1"))

    def _orders(self, clock: Clock) -> None:
        fw, w = self.fw, self.fw.w
        self.orders: dict[str, Order] = {}
        for name, at, number, lines, fate in (
                ("o1", 1, HUNAN, (), "delivered"), ("o2", 2, HUNAN, (), "delivered"),
                ("o3", 3, HUNAN, (), "refused"), ("o4", 4, HUNAN, ((w.kneepad, 1),), "delivered"),
                ("o5", 5, HUNAN, (), "shipped"), ("o6", 6, HUNAN, (), "ordered"),
                ("o7", 12, JIANGSU, (), "delivered")):
            clock.set(minutes(at + 5))
            fields: dict[str, Any] = {"hotline_number": number, "called_at": minutes(at)}
            if fate == "ordered":
                order = w.place(*lines, **fields)
            elif fate == "shipped":
                order = fw.shipped(None, *lines, **fields).order
            else:
                order = getattr(fw, fate)(None, *lines, at=minutes(at + 60), **fields).order
            self.orders[name] = order
        clock.set(minutes(120))
        for name in ("o1", "o2"):
            do_record_payment(self.order("o1" if name == "o1" else "o2"), method="cod", amount="796.00",
                              actor=fw.finance)
        clock.set(minutes(180))
        o2 = self.order("o2")
        do_receive_return(o2, [ReturnedGoods(line.pk, line.quantity, Condition.GOOD) for line in o2.lines.all()],
                          actor=w.clerk)
        do_record_refund(self.order("o2"), method="transfer", amount="796.00", reason="退货退款", actor=fw.finance)
        do_transition_order(self.order("o6"), Status.CANCELLED, actor=w.agent, reason="changed their mind")

    def _agents(self) -> None:
        """a1 ready from an hour before, on a call 20:00:10–20:01:10, wrap-up to 20:01:40, not ready from
        20:30; a2 ready from 20:05:30."""
        for agent, at, state in (("a1", minutes(-60), "ready"), ("a1", T0 + datetime.timedelta(seconds=10), "on_call"),
                                 ("a1", T0 + datetime.timedelta(seconds=70), "wrap_up"),
                                 ("a1", T0 + datetime.timedelta(seconds=100), "ready"),
                                 ("a2", minutes(5.5), "ready"), ("a1", minutes(30), "not_ready")):
            AgentStateEvent.objects.create(agent_key=agent, state=state, at=at, mono=0)

    def order(self, name: str) -> Order:
        return Order.objects.get(pk=self.orders[name].pk)


@pytest.fixture
def story(clock: Clock) -> Story:
    return Story(clock)


def day() -> Any:
    return parse_period(DAY)


def one_airing(story: Story) -> f.Selection:
    return f.Selection("A", day(), airing_ids=[story.a.pk])


def ids(rows: Any) -> set[str]:
    return {row["call_id"] for row in rows}


def numbers(*names: str, story: Story) -> set[str]:
    return {story.orders[name].number for name in names}


# ---------------------------------------------------------------- calls


def test_every_call_of_the_airing_lands_in_exactly_one_bucket(story: Story) -> None:
    facts = dict(CallFact.objects.filter(airing=story.a).values_list("call_id", "outcome"))
    assert sorted(facts.values()) == sorted(["answered", "abandoned_in_ivr", "abandoned_in_queue", "short_abandon",
                                             "callback", "callback", "voicemail", "rejected", "refused_503",
                                             "failed", ""])
    selection = one_airing(story)
    calls = f.call_figures(selection)
    assert calls.offered == 11
    assert calls.buckets == {"blocked": 2, "left_ivr": 1, "abandoned": 2, "answered": 1, "callback": 2,
                             "voicemail": 1, "failed": 1, "open": 1}
    assert sum(calls.buckets.values()) == calls.offered
    assert (calls.unexplained, calls.unexplained_calls) == (0, [])
    assert (calls.short, calls.reached, calls.dials, calls.dials_answered) == (1, 1, 1, 1)
    for bucket in calls.buckets:  # each call in its bucket, and in no other
        assert ids(f.bucket_calls(selection, bucket).values("call_id")) == {
            call for call, wanted in A_CALLS.items() if wanted == bucket}


def test_the_page_says_unexplained_0(story: Story, client: Client) -> None:
    client.force_login(story.fw.manager)
    response = client.get("/reports/funnel/", {**DAY, "airing": story.a.pk}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-unexplained="0"' in text
    assert "unexplained: 0" in text
    assert 'id="table-unexplained"' not in text


def test_a_call_whose_outcome_is_not_mapped_is_listed(story: Story, client: Client) -> None:
    CallFact.objects.create(call_id="odd", arrived_at=minutes(20), airing=story.a, station=story.hunan,
                            outcome="mystery")
    calls = f.call_figures(one_airing(story))
    assert (calls.offered, sum(calls.buckets.values()), calls.unexplained) == (12, 11, 1)
    assert [(row["call_id"], row["outcome"]) for row in calls.unexplained_calls] == [("odd", "mystery")]
    client.force_login(story.fw.manager)
    text = client.get("/reports/funnel/", {**DAY, "airing": story.a.pk}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "unexplained: 1" in text
    assert 'id="table-unexplained"' in text and ">odd<" in text


# ---------------------------------------------------------------- orders and money


def test_order_stages(story: Story) -> None:
    orders = f.funnel(one_airing(story)).orders
    assert orders == {"taken": 6, "cancelled": 1, "orders": 5, "shipped": 5, "delivered": 3, "refused": 1,
                      "returned": 1, "kept": 2, "settled": 1}
    selection = one_airing(story)
    expected = {"taken": ("o1", "o2", "o3", "o4", "o5", "o6"), "cancelled": ("o6",),
                "orders": ("o1", "o2", "o3", "o4", "o5"), "shipped": ("o1", "o2", "o3", "o4", "o5"),
                "delivered": ("o1", "o2", "o4"), "refused": ("o3",), "returned": ("o2",), "kept": ("o1", "o4"),
                "settled": ("o1",)}
    for stage, names in expected.items():
        assert set(f.stage_orders(selection, stage).values_list("number", flat=True)) == numbers(*names, story=story)


def test_money_to_the_fen_reconciles_with_the_orders_and_finance(story: Story) -> None:
    selection = one_airing(story)
    money = f.funnel(selection).money
    assert (money.ordered, money.delivered, money.returned, money.kept, money.settled, money.refunds) == (
        D("3283.00"), D("1691.00"), D("796.00"), D("895.00"), D("796.00"), D("796.00"))
    assert (money.spot_cost, money.per_call, money.per_order, money.per_delivered, money.goods_cost) == (
        D("10000.00"), D("909.09"), D("2000.00"), D("5000.00"), D("300.00"))
    assert money.roi_settled == Fraction(796 - 10000, 10000)
    assert money.roi_kept == Fraction(895 - 10000, 10000)
    assert money.roi_margin == Fraction(796 - 300 - 10000, 10000)
    # the same sums made here from the rows
    mine = Order.objects.filter(airing=story.a)
    assert money.ordered == sum(o.total for o in mine.exclude(status=Status.CANCELLED))
    assert money.kept == sum(o.total for o in mine.filter(status__in=[Status.DELIVERED, Status.SETTLED]))
    assert money.settled == sum(e.amount for e in SettlementEntry.objects.filter(order__airing=story.a))
    assert money.refunds == sum(r.amount for r in Refund.objects.filter(order__airing=story.a))
    assert sorted(SettlementEntry.objects.filter(order__airing=story.a).values_list("amount", flat=True)) == [
        D("-796.00"), D("796.00"), D("796.00")]


# ---------------------------------------------------------------- stations, slots, the curve


def test_stations_side_by_side_and_a_slot(story: Story) -> None:
    period = day()
    request = {"station": [str(story.hunan.pk), str(story.jiangsu.pk)]}

    class Get(dict[str, Any]):
        def getlist(self, key: str) -> list[str]:
            return list(request.get(key, []))

    hunan, jiangsu = [f.funnel(one) for one in f.selections(Get(), period)]
    assert (hunan.calls.offered, hunan.orders["orders"], hunan.money.spot_cost) == (11, 5, D("10000.00"))
    assert (jiangsu.calls.offered, jiangsu.calls.buckets["answered"], jiangsu.orders["kept"], jiangsu.money.kept,
            jiangsu.money.per_delivered) == (2, 2, 1, D("796.00"), D("8000.00"))
    everything = f.funnel(f.Selection("all", period))
    assert (everything.calls.offered, everything.calls.dials, everything.orders["taken"],
            everything.money.spot_cost) == (13, 1, 7, D("18000.00"))
    slot = f.funnel(f.Selection("slot", period, slot=f.parse_slot("20:05-21:00")))
    assert (slot.airings, slot.calls.offered, slot.orders["taken"]) == (1, 2, 1)
    wrapped = f.parse_slot("23:00-20:05")  # over midnight: 23:00 to 20:05 the next day holds 20:00
    assert f.funnel(f.Selection("w", period, slot=wrapped)).airings == 1


def test_response_curve_calls_and_agents_per_minute(story: Story) -> None:
    curve = f.response_curve(one_airing(story))
    assert curve.airings == 1
    assert {m: n for m, n in enumerate(curve.calls) if n} == {0: 2, 1: 2, 2: 2, 3: 1, 5: 2, 6: 1, 11: 1}
    assert sum(curve.calls) == 11
    assert curve.agents[0] == 1  # a1 ready, on a call, in wrap-up: available the whole minute
    assert curve.agents[5] == Fraction(3, 2)  # a2 from 20:05:30
    assert curve.agents[6] == 2
    assert curve.agents[29] == 2 and curve.agents[30] == 1 and curve.agents[59] == 1  # a1 not ready from 20:30
    both = f.response_curve(f.Selection("all", day()))
    assert both.airings == 2 and sum(both.calls) == 13
    assert both.mean_calls[0] == Fraction(2, 2)


# ---------------------------------------------------------------- drill-downs


def test_drill_down_gives_exactly_the_rows_of_each_figure(story: Story, client: Client) -> None:
    selection = one_airing(story)
    calls = f.call_figures(selection)
    drill_calls, drill_orders = find("funnel_calls"), find("funnel_orders")
    assert drill_calls is not None and drill_orders is not None
    for bucket, count in calls.buckets.items():
        rows = drill_calls(f.drill("calls", selection, bucket).params)
        assert rows.count == count
        assert ids(rows.rows) == {call for call, wanted in A_CALLS.items() if wanted == bucket}
    assert ids(drill_calls(f.drill("calls", selection, "reached").params).rows) == {"cb"}
    assert ids(drill_calls(f.drill("calls", selection, "short").params).rows) == {"sa"}
    assert ids(drill_calls(f.drill("calls", selection, "dials").params).rows) == {"dial1"}
    assert ids(drill_calls(f.drill("calls", selection, "offered").params).rows) == set(A_CALLS)
    stations = f.Selection("hunan", day(), station_id=story.hunan.pk)
    assert ids(drill_calls(f.drill("calls", stations, "answered").params).rows) == {"ans"}
    for stage, count in f.funnel(selection).orders.items():
        rows = drill_orders(f.drill("orders", selection, stage).params)
        assert rows.count == count
        assert {row["number"] for row in rows.rows} == set(
            f.stage_orders(selection, stage).values_list("number", flat=True))
    settled = drill_orders(f.drill("orders", selection, "settled").params)
    assert sum(row["total"] for row in settled.rows) == D("796.00")
    # the link on the page opens the same rows
    client.force_login(story.fw.manager)
    link = f.drill("calls", selection, "blocked").url()
    page = client.get(link, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert ">rej<" in page.content.decode() and ">lim<" in page.content.decode()
    funnel_page = client.get("/reports/funnel/", {**DAY, "airing": story.a.pk}).content.decode()
    assert link.replace("&", "&amp;") in funnel_page


# ---------------------------------------------------------------- the view


def test_view_rights_money_and_comparison(story: Story, client: Client) -> None:
    client.force_login(factories.make_user("agent"))
    assert client.get("/reports/funnel/", DAY).status_code == 403
    client.force_login(factories.make_user("supervisor"))
    text = client.get("/reports/funnel/", {**DAY, "airing": story.a.pk}).content.decode()
    assert 'id="table-calls"' in text and 'id="table-money"' not in text and "¥10,000.00" not in text
    client.force_login(story.fw.manager)
    params: dict[str, Any] = {**DAY, "station": [story.hunan.pk, story.jiangsu.pk]}
    response = client.get("/reports/funnel/", params, HTTP_ACCEPT_LANGUAGE="en")
    text = response.content.decode()
    assert response.status_code == 200
    assert 'id="table-money"' in text and "¥10,000.00" in text and "¥8,000.00" in text
    assert text.count('data-unexplained="0"') == 2
    compared = client.get("/reports/funnel/", {**DAY, "station": story.hunan.pk, "compare": "1"}).content.decode()
    assert 'id="table-compare"' in compared


def test_excel_holds_the_screens_numbers(story: Story, client: Client) -> None:
    from openpyxl import load_workbook

    client.force_login(story.fw.manager)
    response = client.get("/reports/funnel/", {**DAY, "airing": story.a.pk, "format": "xlsx"},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.content))
    sheets = {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}
    label = str(story.a)
    assert [row for row in sheets["Calls"] if row[0] == label] == [
        (label, 1, 11, 2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 0, 1, 1)]
    assert [row[:10] for row in sheets["Orders"] if row[0] == label] == [(label, 6, 1, 5, 5, 3, 1, 1, 2, 1)]
    money = next(row for row in sheets["Money"] if row[0] == label)
    assert money[1:11] == (3283, 1691, 796, 895, 796, 796, 10000, 909.09, 2000, 5000)
    assert money[11] == -92.04  # ROI on settled revenue, in percent as on the screen


@pytest.mark.parametrize(("params", "message"), [
    ({"airing": "999999"}, "Unknown airing: 999999"),
    ({"station": "abc"}, "Unknown station: abc"),
    ({"slot": "25:00-26:00"}, "A time slot looks like 20:00-22:00"),
    ({"queue": "sales"}, "Unknown filter: queue"),
    ({"airing": "1", "slot": "20:00-21:00"}, "Pick airings, or stations and a time slot, not both."),
    ({"period": "custom", "from": "2026-11-25", "to": "2026-11-24"}, "before it starts"),
])
def test_bad_input_is_a_translated_400(story: Story, client: Client, params: dict[str, str], message: str) -> None:
    client.force_login(story.fw.manager)
    before = CallFact.objects.count(), Order.objects.count()
    response = client.get("/reports/funnel/", {**DAY, **params}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (CallFact.objects.count(), Order.objects.count()) == before
    chinese = client.get("/reports/funnel/", {**DAY, **params}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.status_code == 400


def test_slot_and_station_drills_and_bad_drill_parameters(story: Story) -> None:
    from django.core.exceptions import ValidationError

    drill_calls, drill_orders = find("funnel_calls"), find("funnel_orders")
    assert drill_calls is not None and drill_orders is not None
    slot = f.Selection("slot", day(), station_id=story.jiangsu.pk, slot=f.parse_slot("20:05-21:00"))
    assert ids(drill_calls(f.drill("calls", slot, "answered").params).rows) == {"b1", "b2"}
    assert {row["number"] for row in drill_orders(f.drill("orders", slot, "kept").params).rows} == numbers(
        "o7", story=story)
    hunan = f.Selection("hunan", day(), station_id=story.hunan.pk)
    assert {row["number"] for row in drill_orders(f.drill("orders", hunan, "refused").params).rows} == numbers(
        "o3", story=story)
    for bad in ({"airing": "999999"}, {"airing": str(story.a.pk), "figure": "nope"}, {"station": "abc"},
                {"start": "yesterday", "end": "today"}, {"airing": str(story.a.pk), "queue": "sales"}):
        with pytest.raises(ValidationError):
            drill_calls(bad)


# ---------------------------------------------------------------- agents available against a plain replay


def _replayed(starts: list[datetime.datetime]) -> list[Fraction]:
    """Agents available per minute after each start by replaying every agent's whole history."""
    rows = list(AgentStateEvent.objects.order_by("at", "id").values_list("agent_key", "at", "state"))
    total = [Fraction(0)] * f.MINUTES
    for start in starts:
        for minute in range(f.MINUTES):
            low, high = start + datetime.timedelta(minutes=minute), start + datetime.timedelta(minutes=minute + 1)
            for agent in {row[0] for row in rows}:
                own = [(moment, state) for key, moment, state in rows if key == agent]
                for (moment, state), following in zip(own, [*own[1:], (high, "")], strict=True):
                    a, b = max(moment, low), min(following[0], high)
                    if state in f._AVAILABLE and a < b:
                        total[minute] += Fraction((b - a) // datetime.timedelta(microseconds=1), 60_000_000)
    return [value / len(starts) for value in total]


def test_agents_available_equal_a_plain_replay() -> None:
    """Seeded changes of five agents — history from a year before, changes at one instant, fractions of a
    second, unavailable states (not ready, logged out), an agent who starts only within the hour — and
    three airings, two overlapping: the step-function sweep gives exactly the replay's figures."""
    rng = random.Random(15)
    states = ["ready", "ringing", "on_call", "wrap_up", "ready", "not_ready", "logged_out"]
    AgentStateEvent.objects.create(agent_key="old", state="ready", at=T0 - datetime.timedelta(days=365), mono=0)
    AgentStateEvent.objects.create(agent_key="gone", state="ready", at=T0 - datetime.timedelta(days=300), mono=0)
    AgentStateEvent.objects.create(agent_key="gone", state="logged_out", at=T0 - datetime.timedelta(days=299), mono=0)
    for agent in ("a1", "a2", "a3", "late"):
        moment = T0 - datetime.timedelta(minutes=20) if agent != "late" else T0 + datetime.timedelta(minutes=17)
        for _ in range(40):
            AgentStateEvent.objects.create(agent_key=agent, state=rng.choice(states), at=moment, mono=0)
            moment += datetime.timedelta(microseconds=rng.choice([0, 0, 1, 250_000, 61_000_000, 97_123_457]))
    starts = [T0, T0 + datetime.timedelta(minutes=25, seconds=3), T0 + datetime.timedelta(minutes=50)]
    assert f._agents_available(starts) == _replayed(starts)
    assert f._agents_available(starts[1:2]) == _replayed(starts[1:2])
