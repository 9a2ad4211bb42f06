"""The desk's order-task worklist (订单任务): access, what the list shows and in which order (urgent rescue
calls first, then confirmations, then orders sent back; mine or all), the built-in scripts, and closing a
task of each kind with each outcome — a refused close shows why and changes nothing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from hotline.accounts.models import AuditEntry, Role
from hotline.accounts.permissions import ROLE_PERMS, Perm
from hotline.catalog.models import Product
from hotline.desk.task_list import task_script
from hotline.logistics.models import OrderTask, Shipment, ShipmentStatus, TaskKind, TaskStatus
from hotline.notify.models import Notification
from hotline.orders.models import Order, OrderStatusChange, Status
from tests import factories
from tests.desk.task_world import make_courier, make_order, make_shipment, make_task

pytestmark = [pytest.mark.django_db]

RESCUE, CONFIRM, FIX = TaskKind.RESCUE, TaskKind.CONFIRM, TaskKind.FIX


def client_for(user: Any = None, language: str = "en") -> Client:
    client = Client(headers={"accept-language": language})
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def desk(users: dict[str, Any]) -> SimpleNamespace:
    """Three open tasks for the agent's own orders (one of each kind), one rescue for another agent, one task
    already done; the product's stock is tracked so that a cancelled order's stock is seen to come back."""
    agent, other = users["agent"], factories.make_user(Role.AGENT, username="t_agent2")
    customer = factories.make_customer("王小明", "13800138000", gender="m")
    product = factories.make_product("颈椎按摩仪", "398.00", track_stock=True, stock=10)
    courier = make_courier("EMS")
    fix_order = make_order(customer, product, agent=agent, status=Status.ORDERED, recipient_phone="13912345678")
    confirm_order = make_order(customer, product, agent=agent, quantity=2)
    confirm_parcel = make_shipment(confirm_order, courier, ShipmentStatus.PENDING, tracking=None)
    refused = make_order(customer, product, agent=agent, status=Status.REFUSED)
    refused_parcel = make_shipment(refused, courier, tracking="EA000000001CN")
    others = make_order(customer, product, agent=other, status=Status.REFUSED)
    done_order = make_order(customer, product, agent=agent, status=Status.REFUSED)
    tasks = SimpleNamespace(
        fix=make_task(fix_order, FIX, reason="地址缺门牌号", assigned_to=agent, minutes_ago=90),
        confirm=make_task(confirm_order, CONFIRM, reason="拒收风险 80：新客户", assigned_to=agent, minutes_ago=60),
        rescue=make_task(refused, RESCUE, reason="拒收 (EMS EA000000001CN): 太贵", urgent=True, assigned_to=agent,
                         shipment=refused_parcel, minutes_ago=5),
        others=make_task(others, RESCUE, reason="拒收", urgent=True, assigned_to=other, minutes_ago=30),
        done=make_task(done_order, RESCUE, urgent=True, assigned_to=agent, status=TaskStatus.DONE,
                       outcome="unreached", minutes_ago=120))
    return SimpleNamespace(agent=agent, other=other, customer=customer, product=product, tasks=tasks,
                           confirm_parcel=confirm_parcel)


def saved() -> dict[str, Any]:
    """Everything closing a task may write, to assert that a refused close changed nothing."""
    return {"tasks": list(OrderTask.objects.order_by("pk").values()),
            "orders": list(Order.objects.order_by("pk").values("pk", "status", "updated_at")),
            "changes": OrderStatusChange.objects.count(), "audit": AuditEntry.objects.count(),
            "notifications": Notification.objects.count(),
            "shipments": list(Shipment.objects.order_by("pk").values("pk", "status")),
            "stock": list(Product.objects.order_by("pk").values_list("stock", flat=True))}


# ---------------------------------------------------------------- access

def test_anonymous_users_are_sent_to_sign_in_and_nothing_changes(desk: SimpleNamespace) -> None:
    before = saved()
    listing = client_for().get("/desk/tasks")
    close = client_for().post(f"/desk/tasks/{desk.tasks.rescue.pk}/done", {"outcome": "redeliver"})
    assert (listing.status_code, listing["Location"]) == (302, f"/login/?next={quote('/desk/tasks')}")
    assert (close.status_code, close["Location"]) == (
        302, f"/login/?next={quote(f'/desk/tasks/{desk.tasks.rescue.pk}/done')}")
    assert saved() == before


@pytest.mark.parametrize("role", ["logistics", "finance", "manager"])
def test_users_without_the_permission_get_403_and_nothing_changes(desk: SimpleNamespace, users: dict[str, Any],
                                                                 role: str) -> None:
    before = saved()
    listing = client_for(users[role]).get("/desk/tasks")
    close = client_for(users[role]).post(f"/desk/tasks/{desk.tasks.rescue.pk}/done", {"outcome": "redeliver"})
    assert (listing.status_code, close.status_code) == (403, 403)
    assert saved() == before


def test_the_desk_shows_the_panel_only_to_users_with_the_permission(desk: SimpleNamespace,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    with_panel = client_for(desk.agent).get("/desk/")
    monkeypatch.setitem(ROLE_PERMS, Role.AGENT, ROLE_PERMS[Role.AGENT] - {Perm.WORK_ORDER_TASKS})
    without = client_for(desk.agent).get("/desk/")
    assert (with_panel.status_code, without.status_code) == (200, 200)
    assert 'id="order-tasks" hx-get="/desk/tasks"' in with_panel.content.decode()
    assert "order-tasks" not in without.content.decode()
    assert client_for(desk.agent).get("/desk/tasks").status_code == 403


def test_only_posts_close_a_task(desk: SimpleNamespace) -> None:
    before = saved()
    assert client_for(desk.agent).get(f"/desk/tasks/{desk.tasks.rescue.pk}/done").status_code == 405
    assert client_for(desk.agent).post("/desk/tasks").status_code == 405
    assert saved() == before


# ---------------------------------------------------------------- the list

def shown(response: Any) -> list[int]:
    return [row.task.pk for row in response.context["rows"]]


def test_mine_lists_my_open_tasks_rescue_first_then_confirmation_then_fix(desk: SimpleNamespace) -> None:
    response = client_for(desk.agent).get("/desk/tasks")

    assert (response.status_code, response.context["scope"], response.context["total"]) == (200, "mine", 3)
    assert shown(response) == [desk.tasks.rescue.pk, desk.tasks.confirm.pk, desk.tasks.fix.pk]
    rows = response.context["rows"]
    assert [(row.label, row.phone, row.outcomes, row.note_required) for row in rows] == [
        ("Refusal rescue", "13800138000", [("redeliver", "Deliver again"), ("address", "New address"),
                                           ("cancel", "Cancel the order"),
                                           ("unreached", "Could not reach the customer")], ["address", "cancel"]),
        ("Confirmation call", "13800138000", [("confirmed", "Confirmed, ship it"), ("cancel", "Cancel the order")],
         ["cancel"]),
        ("Sent back at review", "13912345678", [("fixed", "Order corrected"), ("cancel", "Cancel the order")],
         ["cancel"]),
    ]
    html = response.content.decode()
    assert html.index(desk.tasks.rescue.order.number) < html.index(desk.tasks.confirm.order.number) \
        < html.index(desk.tasks.fix.order.number)
    assert 'class="task-dial" data-number="13912345678"' in html
    assert "拒收 (EMS EA000000001CN): 太贵" in html and "王小明" in html and "¥796.00" in html
    assert 'id="task-count" class="badge bad" hx-swap-oob="true"' in html and ">3</span>" in html


def test_all_lists_everyone_s_tasks_urgent_first_oldest_first(desk: SimpleNamespace) -> None:
    # a rush order sent back at review is urgent too: it comes before the confirmation call
    rush = make_order(desk.customer, desk.product, agent=desk.other, status=Status.ORDERED, rush=True)
    rush_fix = make_task(rush, FIX, reason="电话号码不对", urgent=True, assigned_to=desk.other, minutes_ago=1)

    response = client_for(desk.agent).get("/desk/tasks", {"scope": "all"})

    assert (response.context["scope"], response.context["total"]) == ("all", 5)
    assert shown(response) == [desk.tasks.others.pk, desk.tasks.rescue.pk, rush_fix.pk, desk.tasks.confirm.pk,
                               desk.tasks.fix.pk]
    assert desk.tasks.done.order.number not in response.content.decode()


def test_an_agent_with_no_tasks_sees_an_empty_list(desk: SimpleNamespace, users: dict[str, Any]) -> None:
    response = client_for(users["supervisor"]).get("/desk/tasks")
    assert (response.status_code, shown(response), response.context["total"]) == (200, [], 0)
    assert "No order tasks waiting." in response.content.decode()


def test_the_scripts_merge_the_customer_the_goods_and_the_amount(desk: SimpleNamespace) -> None:
    desk.agent.first_name, desk.agent.last_name = "", "李娜"
    desk.agent.save()
    scripts = client_for(desk.agent).get("/desk/tasks").context["rows"]
    assert [row.script for row in scripts] == [
        f"Hello, 王先生, this is 李娜 from the shopping hotline. Your 颈椎按摩仪 (order "
        f"{desk.tasks.rescue.order.number}, ¥398.00) could not be handed over today. May I ask what held you "
        "back? We can deliver it again, or to an address that suits you better.",
        f"Hello, 王先生, this is 李娜 from the shopping hotline. I am calling to confirm your order "
        f"{desk.tasks.confirm.order.number}: 颈椎按摩仪, ¥796.00 to pay on delivery, to 广东深圳南山区科技园南路18号. "
        "Will you be there to receive and pay for it?",
        f"Hello, 王先生, this is 李娜 from the shopping hotline. About your order {desk.tasks.fix.order.number} "
        "(颈椎按摩仪, ¥398.00), we need to check something with you: 地址缺门牌号",
    ]


def test_the_scripts_are_chinese_on_a_chinese_desk(desk: SimpleNamespace) -> None:
    response = client_for(desk.agent, "zh-hans").get("/desk/tasks")
    rescue = response.context["rows"][0]
    assert (rescue.label, rescue.script) == (
        "拒收挽回", f"王先生，您好，我是购物热线的t_agent。您订购的颈椎按摩仪（订单{desk.tasks.rescue.order.number}，"
        "¥398.00）今天派送时没有签收成功，请问是有什么顾虑吗？我们可以为您安排再次派送，或者改送到您方便的地址。")


def test_a_caller_without_a_known_name_is_addressed_politely(desk: SimpleNamespace) -> None:
    desk.customer.name = ""
    desk.customer.save()
    task = OrderTask.objects.select_related("order__customer").get(pk=desk.tasks.fix.pk)
    # read outside a request: in the installation's language, Chinese
    assert task_script(task, desk.agent) == (
        f"您好，我是购物热线的t_agent。关于您的订单{task.order.number}（颈椎按摩仪，¥398.00），还需要跟您核对一下：地址缺门牌号")


# ---------------------------------------------------------------- closing a task

CLOSES = [
    # kind, outcome, note, order status after, pending parcel after
    ("rescue", "redeliver", "", Status.REFUSED, None),
    ("rescue", "address", "深圳市福田区深南大道1号", Status.REFUSED, None),
    ("rescue", "unreached", "", Status.REFUSED, None),
    ("rescue", "cancel", "不想要了", Status.REFUSED, None),
    ("confirm", "confirmed", "", Status.REVIEWED, ShipmentStatus.PENDING),
    ("confirm", "cancel", "家人不同意", Status.CANCELLED, ShipmentStatus.CANCELLED),
    ("fix", "fixed", "已核对门牌号", Status.ORDERED, None),
    ("fix", "cancel", "客户不要了", Status.CANCELLED, None),
]


@pytest.mark.parametrize(("kind", "outcome", "note", "status", "parcel"), CLOSES)
def test_closing_a_task_records_the_outcome(desk: SimpleNamespace, kind: str, outcome: str, note: str,
                                            status: str, parcel: str | None) -> None:
    task = getattr(desk.tasks, kind)
    before, from_status, quantity = saved(), task.order.status, task.order.lines.get().quantity

    response = client_for(desk.agent).post(f"/desk/tasks/{task.pk}/done",
                                           {"outcome": outcome, "note": f" {note} ", "scope": "mine"})

    assert response.status_code == 200
    assert task.pk not in shown(response) and response.context["total"] == 2
    assert f"Order {task.order.number}: task closed" in response.content.decode()
    task.refresh_from_db()
    assert (task.status, task.outcome, task.outcome_note, task.done_by) == (TaskStatus.DONE, outcome, note,
                                                                            desk.agent)
    assert task.done_at is not None
    assert Order.objects.get(pk=task.order_id).status == status
    cancelled = status == Status.CANCELLED
    assert list(OrderStatusChange.objects.filter(order=task.order).values_list("from_status", "to_status",
                                                                               "reason", "actor")) == (
        [(from_status, Status.CANCELLED, note, desk.agent.pk)] if cancelled else [])
    assert list(AuditEntry.objects.filter(pk__gt=before["audit"]).order_by("pk")
                .values_list("action", "object_id", "actor")) == (
        ([("order_cancelled", str(task.order_id), desk.agent.pk)] if cancelled else [])
        + [("complete_order_task", str(task.pk), desk.agent.pk)])
    # a cancelled order's units come back on the shelf (the confirmation's order had two, the fix's one)
    assert Product.objects.get(pk=desk.product.pk).stock == 10 + (quantity if cancelled else 0)
    assert Notification.objects.count() == before["notifications"] + (1 if cancelled else 0)
    if parcel is not None:
        assert Shipment.objects.get(pk=desk.confirm_parcel.pk).status == parcel
    others = [row for row in saved()["tasks"] if row["id"] != task.pk]
    assert others == [row for row in before["tasks"] if row["id"] != task.pk]


@pytest.mark.parametrize(("task_name", "outcome", "note", "message"), [
    ("rescue", "confirmed", "", "“confirmed” is not an outcome of this task."),
    ("confirm", "redeliver", "", "“redeliver” is not an outcome of this task."),
    ("fix", "bogus", "", "“bogus” is not an outcome of this task."),
    ("fix", "", "", "“” is not an outcome of this task."),
    ("rescue", "address", "   ", "Write the new address or why the customer cancels."),
    ("confirm", "cancel", "", "Write the new address or why the customer cancels."),
    ("rescue", "redeliver", "很" * 301, "At most 300 characters."),
    ("done", "redeliver", "", "This task is already done."),
])
def test_a_refused_close_shows_why_and_changes_nothing(desk: SimpleNamespace, task_name: str, outcome: str,
                                                       note: str, message: str) -> None:
    task = getattr(desk.tasks, task_name)
    before = saved()

    response = client_for(desk.agent).post(f"/desk/tasks/{task.pk}/done", {"outcome": outcome, "note": note})

    assert response.status_code == 400
    assert (response.context["errors"], response.context["failed"]) == ([message], task.pk)
    assert message in response.content.decode()
    assert saved() == before


def test_a_refused_close_keeps_the_typed_note_on_the_task_s_row(desk: SimpleNamespace) -> None:
    response = client_for(desk.agent).post(f"/desk/tasks/{desk.tasks.confirm.pk}/done",
                                           {"outcome": "confirmed", "note": "x" * 301})
    html = response.content.decode()
    row = html[html.index(f'data-task="{desk.tasks.confirm.pk}"'):]
    assert 'value="' + "x" * 301 + '" aria-invalid="true"' in row
    assert '<option value="confirmed" selected>' in row


def test_the_errors_are_translated(desk: SimpleNamespace) -> None:
    before = saved()
    response = client_for(desk.agent, "zh-hans").post(f"/desk/tasks/{desk.tasks.rescue.pk}/done",
                                                      {"outcome": "cancel", "note": ""})
    assert (response.status_code, response.context["errors"]) == (400, ["请填写新地址或客户取消的原因。"])
    assert saved() == before


def test_an_agent_cannot_cancel_another_agent_s_order(desk: SimpleNamespace) -> None:
    confirm = make_task(make_order(desk.customer, desk.product, agent=desk.other), CONFIRM, assigned_to=desk.other)
    before = saved()

    response = client_for(desk.agent).post(f"/desk/tasks/{confirm.pk}/done",
                                           {"outcome": "cancel", "note": "客户不要了", "scope": "all"})

    assert response.status_code == 403
    assert response.context["errors"] == [f"Order {confirm.order.number} was taken by another agent: only they or "
                                          "a supervisor may change it."]
    assert saved() == before


def test_a_supervisor_may_close_any_task(desk: SimpleNamespace, users: dict[str, Any]) -> None:
    response = client_for(users["supervisor"]).post(f"/desk/tasks/{desk.tasks.others.pk}/done",
                                                    {"outcome": "redeliver", "scope": "all"})
    assert response.status_code == 200
    assert OrderTask.objects.filter(pk=desk.tasks.others.pk).values_list("status", "outcome", "done_by").get() == (
        TaskStatus.DONE, "redeliver", users["supervisor"].pk)


def test_an_unknown_task_is_404_and_changes_nothing(desk: SimpleNamespace) -> None:
    before = saved()
    assert client_for(desk.agent).post("/desk/tasks/999999/done", {"outcome": "redeliver"}).status_code == 404
    assert saved() == before
