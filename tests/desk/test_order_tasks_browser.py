"""The order-task panel in headless Chromium: the list loads with the desk (count badge, rescue first), "Call"
dials the task's number through the desk's own dial form, a close without the note it needs shows why on
the task's row, and a good close takes the task off the list. Chromium is never skipped."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hotline.logistics.models import OrderTask, TaskKind, TaskStatus
from hotline.orders.models import Status
from tests import factories, livetest
from tests.desk.conftest import PASSWORD
from tests.desk.task_world import make_courier, make_order, make_shipment, make_task

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_MS = 20_000
SCREENSHOT = Path("/tmp/hotline-order-tasks.png")  # looked at by hand; not part of the docs


@pytest.fixture
def tasks(users: dict[str, Any]) -> SimpleNamespace:
    agent = users["agent"]
    customer = factories.make_customer("王小明", "13800138000", gender="m")
    product = factories.make_product("颈椎按摩仪", "398.00")
    refused = make_order(customer, product, agent=agent, status=Status.REFUSED)
    fix_order = make_order(customer, product, agent=agent, status=Status.ORDERED, recipient_phone="13912345678")
    confirm_order = make_order(customer, product, agent=agent)
    colleague = factories.make_user("agent", username="t_agent2")
    theirs = make_order(customer, product, agent=colleague)
    return SimpleNamespace(
        agent=agent,
        theirs=make_task(theirs, TaskKind.CONFIRM, reason="拒收风险 75", assigned_to=colleague, minutes_ago=200),
        rescue=make_task(refused, TaskKind.RESCUE, reason="拒收 (EMS EA000000001CN): 太贵", urgent=True,
                         assigned_to=agent, shipment=make_shipment(refused, make_courier()), minutes_ago=5),
        confirm=make_task(confirm_order, TaskKind.CONFIRM, reason="拒收风险 80：新客户", assigned_to=agent,
                          minutes_ago=60),
        fix=make_task(fix_order, TaskKind.FIX, reason="地址缺门牌号", assigned_to=agent, minutes_ago=90))


def work_the_list(tasks: SimpleNamespace) -> dict[str, Any]:
    seen: dict[str, Any] = {"dialled": []}
    with ExitStack() as stack:
        base = stack.enter_context(livetest.serving())
        browser = stack.enter_context(livetest.chromium())
        page = browser.new_page(locale="zh-CN", viewport={"width": 1600, "height": 1000})
        livetest.log_in(page, base, tasks.agent.username, PASSWORD)

        def dial(route: Any) -> None:  # the engine is not running here: answer as it would
            seen["dialled"].append(json.loads(route.request.post_data or "{}"))
            route.fulfill(status=200, content_type="application/json", body='{"call_id": "c-1"}')

        page.route("**/api/engine/agent/dial", dial)
        page.goto(f"{base}/desk/")
        page.wait_for_selector("#order-tasks li.order-task", timeout=WAIT_MS)
        seen["kinds"] = page.eval_on_selector_all("#order-tasks li.order-task",
                                                  "(rows) => rows.map((r) => r.dataset.kind)")
        seen["badge"] = page.text_content("#task-count")
        page.screenshot(path=str(SCREENSHOT))
        fix_row = f"#order-tasks li[data-task='{tasks.fix.pk}']"
        with page.expect_request("**/api/engine/agent/dial", timeout=WAIT_MS):
            page.click(f"{fix_row} .task-dial")
        confirm_row = f"#order-tasks li[data-task='{tasks.confirm.pk}']"
        page.select_option(f"{confirm_row} select[name=outcome]", "cancel")
        page.click(f"{confirm_row} button[type=submit]")
        page.wait_for_selector(f"{confirm_row} ul.errors", timeout=WAIT_MS)
        seen["row_error"] = page.text_content(f"{confirm_row} ul.errors")
        rescue_row = f"#order-tasks li[data-task='{tasks.rescue.pk}']"
        page.select_option(f"{rescue_row} select[name=outcome]", "redeliver")
        page.click(f"{rescue_row} button[type=submit]")
        page.wait_for_selector("#order-tasks p.ok", timeout=WAIT_MS)
        seen["after"] = page.eval_on_selector_all("#order-tasks li.order-task",
                                                  "(rows) => rows.map((r) => r.dataset.task)")
        seen["badge_after"] = page.text_content("#task-count")
        seen["done_text"] = page.text_content("#order-tasks p.ok")
        page.click(".task-scope[data-scope=all]")
        page.wait_for_selector("#order-tasks ul[data-scope=all]", timeout=WAIT_MS)
        seen["all"] = page.eval_on_selector_all("#order-tasks li.order-task",
                                                "(rows) => rows.map((r) => r.dataset.task)")
        seen["pressed"] = page.get_attribute(".task-scope[data-scope=all]", "aria-pressed")
    return seen


def test_an_agent_calls_and_closes_tasks_on_the_desk(tasks: SimpleNamespace) -> None:
    seen = work_the_list(tasks)

    assert (seen["kinds"], seen["badge"]) == (["rescue", "confirm", "fix"], "3")
    assert seen["dialled"] == [{"number": "13912345678"}]
    assert seen["row_error"].strip() == "请填写新地址或客户取消的原因。"
    assert (seen["after"], seen["badge_after"]) == ([str(tasks.confirm.pk), str(tasks.fix.pk)], "2")
    assert seen["done_text"] == f"订单 {tasks.rescue.order.number}：任务已完成（再次派送）。"
    assert (seen["all"], seen["pressed"]) == ([str(tasks.theirs.pk), str(tasks.confirm.pk), str(tasks.fix.pk)],
                                              "true")
    assert list(OrderTask.objects.order_by("pk").values_list("pk", "status", "outcome")) == [
        (tasks.theirs.pk, TaskStatus.OPEN, ""),
        (tasks.rescue.pk, TaskStatus.DONE, "redeliver"), (tasks.confirm.pk, TaskStatus.OPEN, ""),
        (tasks.fix.pk, TaskStatus.OPEN, "")]
