"""Agent performance (业绩考核): exact figures per agent from calls logged through the real call log, agent
state changes through the real action, orders through the real order actions; the team's total and average,
ranking, filters, drill-downs, exports and bad input."""

from __future__ import annotations

import dataclasses
import datetime
import io
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from django.test import Client

from hotline.calls.actions import do_append_agent_state
from hotline.calls.kpi import agent_times_for
from hotline.calls.models import Queue, QueueMember
from hotline.orders.actions import LineInput
from hotline.orders.models import Order, Status
from hotline.reports.models import HandlingFact
from hotline.reports.periods import Period
from hotline.reports.views.agents import Filters, build_report, parse_filters
from hotline.service.models import Complaint
from hotline.telephony import events as ev
from hotline.telephony.events import AgentState, Direction
from tests.calls.helpers import T0, Call, at, log
from tests.factories import make_user
from tests.orders.helpers import place, walk_to

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

DAY = Period(T0.replace(hour=0), T0.replace(hour=0) + datetime.timedelta(days=1), "custom", "hour")
LATER = T0 + datetime.timedelta(days=30)
QUERY = "period=custom&from=2026-11-24&to=2026-11-24"


def outbound(call_id: str, agent: str, callback_id: int, start: float) -> Call:
    """An agent-first outbound call working a callback: the call's arrival names the agent."""
    call = Call(call_id, start=start, queue="", caller="13900139000", dnis="")
    arrival = call.events[0]
    assert isinstance(arrival, ev.Arrive)
    call.events[0] = dataclasses.replace(arrival, agent=agent, direction=Direction.OUTBOUND, callback_id=callback_id)
    return call


def state(agent: str, moment: datetime.datetime, new: AgentState, reason: str = "") -> None:
    do_append_agent_state(ev.AgentStateChanged(agent=agent, at=moment, mono=0.0, state=new, reason=reason))


def clock(hour: int, minute: int = 0, second: int = 0) -> datetime.datetime:
    return T0.replace(hour=hour, minute=minute, second=second)


def dated(order: Order, moment: datetime.datetime) -> Order:
    Order.objects.filter(pk=order.pk).update(created_at=moment)
    return order


@pytest.fixture
def team(world: Any, users: dict[str, Any]) -> dict[str, Any]:
    """Agents a1 and a2 with a day of calls, states, orders and a complaint (figures in each test)."""
    a1, a2 = make_user("agent", username="a1"), make_user("agent", username="a2")
    a1.first_name, a1.agent_number = "小红", "1001"
    a1.save()
    log(
        # a1: talk 50 s (60 s minus 10 s on hold), after-call work 10 s
        Call("c1").queued().step(ev.Answer, 13, agent="a1").step(ev.Hold, 20, agent="a1")
        .step(ev.Resume, 30, agent="a1").step(ev.Hangup, 73, agent="a1").step(ev.WrapupEnd, 83, agent="a1"),
        Call("c2", start=200).queued().step(ev.Answer, 10, agent="a1").step(ev.Hangup, 40, agent="a1"),  # 30 s
        Call("c6", start=400).queued().step(ev.Answer, 5, agent="a1").step(ev.Hangup, 25, agent="a1"),  # 20 s
        # a2: talk 60 s, after-call work 5 s; then a callback reached (talk 30 s)
        Call("c3", start=600).queued().step(ev.Answer, 5, agent="a2").step(ev.Hangup, 65, agent="a2")
        .step(ev.WrapupEnd, 70, agent="a2"),
        outbound("c5", "a2", 77, start=800).step(ev.Answer, 8, agent="a2", queue="")
        .step(ev.Hangup, 38, agent="a2", queue=""),
        Call("c4", start=1000).queued().step(ev.Abandon, 30),  # nobody's
        # the day before: not in the period
        Call("c0", start=-86400).queued().step(ev.Answer, 5, agent="a1").step(ev.Hangup, 50, agent="a1"),
    )
    # a1: 3 h staffed, 30 min of it at lunch, 70 s handling; a2: ready since the day before, a break
    state("a2", clock(23) - datetime.timedelta(days=1), AgentState.READY)
    state("a1", clock(19), AgentState.READY)
    state("a1", clock(20, 0, 13), AgentState.ON_CALL)
    state("a1", clock(20, 1, 13), AgentState.WRAP_UP)
    state("a1", clock(20, 1, 23), AgentState.READY)
    state("a2", clock(20, 30), AgentState.NOT_READY)
    state("a2", clock(20, 45), AgentState.LOGGED_OUT)
    state("a1", clock(21), AgentState.NOT_READY, reason="lunch")
    state("a1", clock(21, 30), AgentState.READY)
    state("a1", clock(22), AgentState.LOGGED_OUT)
    admin, taken = users["admin"], at(100)
    o1 = dated(walk_to(place(world, a1, LineInput(world.product.pk, 1), call_id="c1"), Status.DELIVERED, admin),
               taken)
    dated(walk_to(place(world, a1, LineInput(world.product.pk, 1), LineInput(world.extra.pk, 1, cross_sell=True),
                        call_id="c1"), Status.REFUSED, admin), taken)
    dated(walk_to(place(world, a1, LineInput(world.extra.pk, 1)), Status.CANCELLED, admin), taken)
    dated(place(world, a1, LineInput(world.product.pk, 1), call_id="c2"), taken)
    dated(walk_to(place(world, a2, LineInput(world.product.pk, 2), call_id="c5"), Status.SETTLED, admin), taken)
    dated(place(world, a1, LineInput(world.product.pk, 1), call_id="c0"), at(-86400))  # the day before
    complaint = Complaint.objects.create(customer=world.customer, order=o1, summary="The box was dented.",
                                         created_by=a1)
    Complaint.objects.filter(pk=complaint.pk).update(created_at=at(500))
    return {"a1": a1, "a2": a2, "users": users, "world": world}


@pytest.fixture(autouse=True)
def _tabs_of_reports_that_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's tabs link every report; while a report's module is not written yet, leave its tab out so
    these tests see this report's page (a no-op once every report exists)."""
    from django.urls import NoReverseMatch, reverse

    from hotline.reports.views import common

    def exists(url: str) -> bool:
        try:
            reverse(url)
        except NoReverseMatch:
            return False
        return True

    monkeypatch.setattr(common, "REPORTS", [entry for entry in common.REPORTS if exists(entry[2])])


def rows_by_agent(report: Any) -> dict[str, dict[str, Any]]:
    return {row["agent_key"]: row for row in report.rows}


def test_each_agents_call_and_time_figures(team: dict[str, Any]) -> None:
    report = build_report(DAY, Filters(), now=LATER)
    a1, a2 = rows_by_agent(report)["a1"], rows_by_agent(report)["a2"]
    assert (a1["handled"], a1["outbound"], a1["talk_total"], a1["hold_total"], a1["acw_total"]) == (3, 0, 100, 10, 10)
    assert (a1["talk"], a1["hold"], a1["acw"], a1["aht"]) == (Fraction(100, 3), Fraction(10, 3), Fraction(10, 3), 40)
    assert (a2["handled"], a2["outbound"], a2["talk_total"], a2["acw_total"]) == (2, 1, 90, 5)
    assert a2["aht"] == Fraction(95, 2)
    # occupancy = (on call + wrap-up) / (staffed − not ready), as hotline.calls.kpi defines it
    assert (a1["staffed"], a1["not_ready"], a1["occupancy"]) == (10800, 1800, Fraction(70, 9000))
    assert (a2["staffed"], a2["not_ready"], a2["occupancy"]) == (20 * 3600 + 45 * 60, 900, 0)
    kpi = agent_times_for(DAY.start, DAY.end)
    assert (a1["occupancy"], a2["occupancy"]) == (kpi["a1"].occupancy, kpi["a2"].occupancy)
    assert a1["agent"] == "小红 (a1, 1001)" and a2["agent"] == "a2"
    reasons = next(table for table in report.tables if table.key == "not_ready")
    assert [(row["agent"], row["reason"], row["seconds"]) for row in reasons.rows] == [
        ("小红 (a1, 1001)", "lunch", 1800), ("a2", "(no reason)", 900)]


def test_each_agents_sales_figures(team: dict[str, Any]) -> None:
    a1, a2 = (rows_by_agent(build_report(DAY, Filters(), now=LATER))[key] for key in ("a1", "a2"))
    # a1: 3 orders (the cancelled one and the day before's do not count) from 2 of 3 calls
    assert (a1["orders"], a1["converted"], a1["conversion"]) == (3, 2, Fraction(2, 3))
    assert (a1["revenue"], a1["aov"]) == (Decimal("1263.00"), Decimal("421.00"))  # 398 + 467 + 398
    assert (a1["cross_sell"], a1["shipped"], a1["delivered"], a1["delivered_rate"]) == (Fraction(1, 3), 2, 1,
                                                                                         Fraction(1, 2))
    assert (a1["callbacks"], a1["complaints"]) == (0, 1)
    assert (a2["orders"], a2["converted"], a2["conversion"], a2["revenue"], a2["aov"]) == (
        1, 1, Fraction(1, 2), Decimal("796.00"), Decimal("796.00"))
    assert (a2["cross_sell"], a2["delivered_rate"], a2["callbacks"], a2["complaints"]) == (0, 1, 1, 0)


def test_the_teams_total_and_average(team: dict[str, Any]) -> None:
    report = build_report(DAY, Filters(), now=LATER)
    total, average = report.total, report.average
    assert (total["handled"], total["orders"], total["revenue"], total["aov"]) == (5, 4, Decimal("2059.00"),
                                                                                 Decimal("514.75"))
    assert (total["conversion"], total["cross_sell"], total["delivered_rate"]) == (Fraction(3, 5), Fraction(1, 4),
                                                                                  Fraction(2, 3))
    assert (total["aht"], total["occupancy"], total["callbacks"], total["complaints"]) == (43, Fraction(70, 82800),
                                                                                          1, 1)
    assert report.active == 2
    assert (average["handled"], average["orders"], average["revenue"], average["talk_total"]) == (
        Fraction(5, 2), 2, Decimal("1029.50"), 95)
    assert (average["conversion"], average["aov"]) == (total["conversion"], total["aov"])  # rates: the team's
    team_rows = {row["metric"]: (row["total"], row["average"]) for row in report.tables[3].rows}
    assert team_rows["Calls handled"] == ("5", "2.50")
    assert team_rows["Conversion per call"] == ("60.00%", "60.00%")


def test_ranking_by_orders_then_any_figure(team: dict[str, Any]) -> None:
    assert [(row["rank"], row["agent_key"]) for row in build_report(DAY, Filters(), now=LATER).rows] == [
        (1, "a1"), (2, "a2")]
    ranked = build_report(DAY, Filters(sort="aht"), now=LATER).rows
    assert [row["agent_key"] for row in ranked] == ["a2", "a1"]
    assert [row["agent_key"] for row in build_report(DAY, Filters(sort="-aht"), now=LATER).rows] == ["a1", "a2"]


def test_states_count_only_up_to_now(team: dict[str, Any]) -> None:
    a1 = rows_by_agent(build_report(DAY, Filters(), now=clock(21)))["a1"]
    assert (a1["staffed"], a1["not_ready"]) == (7200, 0)


def test_filters_by_agent_and_by_queue_membership(team: dict[str, Any]) -> None:
    only = build_report(DAY, parse_filters({"agent": "a2"}), now=LATER)
    assert [row["agent_key"] for row in only.rows] == ["a2"] and only.total["orders"] == 1
    sales = Queue.objects.create(name="sales")
    QueueMember.objects.create(agent=team["a1"], queue=sales)
    members = build_report(DAY, parse_filters({"queue": "sales"}), now=LATER)
    assert [row["agent_key"] for row in members.rows] == ["a1"] and members.total["handled"] == 3


def test_drill_downs_give_exactly_the_rows_behind_a_figure(team: dict[str, Any]) -> None:
    import hotline.reports.drills  # noqa: F401 (registers the shared drill-downs)
    from hotline.reports.drill import find

    rows = rows_by_agent(build_report(DAY, Filters(), now=LATER))

    def behind(agent: str, figure: str) -> list[Any]:
        drill = rows[agent]["_drill"][figure]
        found = find(drill.name)
        assert found is not None
        return list(found(drill.params).rows)

    assert sorted(row["call_id"] for row in behind("a1", "handled")) == ["c1", "c2", "c6"]
    assert [row["call_id"] for row in behind("a2", "handled")] == ["c3", "c5"]
    assert [row["call_id"] for row in behind("a2", "outbound")] == ["c5"]
    assert [row["call_id"] for row in behind("a2", "callbacks")] == ["c5"]
    assert len(behind("a1", "orders")) == rows["a1"]["orders"] == 3
    assert len(behind("a2", "orders")) == rows["a2"]["orders"] == 1
    assert rows["a1"]["_drill"]["orders"].url().startswith(
        "/reports/drill/orders/?agent=a1&end=2026-11-25T00%3A00%3A00%2B08%3A00")


def test_supervisor_and_manager_see_the_page(team: dict[str, Any], client: Client) -> None:
    for role in ("supervisor", "manager"):
        client.force_login(team["users"][role])
        response = client.get(f"/reports/agents/?{QUERY}&compare=1")
        assert response.status_code == 200
        page = response.content.decode()
        assert 'id="table-agents"' in page and "小红 (a1, 1001)" in page and "¥1,263.00" in page
        assert "chart-agent-orders" in page and 'id="table-compare"' in page
        assert "/reports/drill/handlings/?agent=a1" in page


def test_agents_may_not_see_it(team: dict[str, Any], client: Client) -> None:
    client.force_login(team["a1"])
    assert client.get(f"/reports/agents/?{QUERY}").status_code == 403


@pytest.mark.parametrize(("query", "message"), [
    ("agent=nope", "Unknown agent: nope"),
    ("queue=nope", "Unknown queue: nope"),
    ("station=1", "Unknown filter: station"),
    ("sort=luck", "Cannot sort by luck"),
    ("period=custom&from=2026-11-25&to=2026-11-24", "The period ends (2026-11-24) before it starts (2026-11-25)"),
])
def test_bad_input_is_a_clear_400(team: dict[str, Any], client: Client, query: str, message: str) -> None:
    client.force_login(team["users"]["supervisor"])
    before = (Order.objects.count(), HandlingFact.objects.count())
    response = client.get(f"/reports/agents/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (Order.objects.count(), HandlingFact.objects.count()) == before


def test_excel_holds_the_screens_numbers(team: dict[str, Any], client: Client) -> None:
    from openpyxl import load_workbook

    client.force_login(team["users"]["manager"])
    response = client.get(f"/reports/agents/?{QUERY}&format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content))["Agent performance"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=4)]
    header, first = values[0], values[1]
    assert first[header.index("Agent")] == "小红 (a1, 1001)"
    assert (first[header.index("Orders")], first[header.index("Order value")]) == (3, Decimal("1263.00"))
    assert first[header.index("Conversion per call")] == 66.67  # a percentage, rounded as on the screen
