"""Care lists: birthdays today / this week / this month (a lunar birthday among them), saved criteria over
level, spend, last order, region and preference, and greeting a list by level and preference rules."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from hotline.crm.care import birthday_counts, birthday_criteria, care_rows, criteria_customers
from hotline.crm.care_actions import do_greet_list, do_produce_list, do_save_criteria, greeting_for
from hotline.crm.care_jobs import produce_scheduled
from hotline.crm.models import CareCriteria, CareList, CareTask, Customer, GreetingRule
from hotline.jobs.models import Job
from hotline.notify.models import Notification
from hotline.orders.models import Order
from tests.factories import make_customer

TODAY = datetime.date(2026, 3, 3)  # a Tuesday; 正月十五 of the year 2026 (丙午)


def names(rows: Any) -> list[str]:
    return [row.customer.name for row in rows]


@pytest.fixture
def birthdays(db: None) -> dict[str, Customer]:
    made = {
        # born on 正月十五 1980 (solar 1 March): keeps the lunar date, celebrated on 3 March 2026, not on 1 March
        "李娟": make_customer("李娟", "13900000001", "f", birthday=datetime.date(1980, 3, 1), birthday_lunar=True),
        "王强": make_customer("王强", "13900000002", "m", birthday=datetime.date(1975, 3, 3)),
        "张伟": make_customer("张伟", "13900000003", "m", birthday=datetime.date(1990, 3, 6)),  # Friday
        "赵敏": make_customer("赵敏", "13900000004", "f", birthday=datetime.date(1985, 3, 1)),  # last Sunday
        "陈晨": make_customer("陈晨", "13900000005", "u", birthday=datetime.date(1988, 3, 31)),
        "周杰": make_customer("周杰", "13900000006", "m", birthday=datetime.date(1970, 4, 3)),
        "吴凡": make_customer("吴凡", "13900000007", "m"),
    }
    return made


def test_birthday_lists_today_this_week_and_this_month(birthdays: dict[str, Customer]) -> None:
    # Given seven customers, one keeping a lunar birthday, when the lists are produced on Tuesday 3 March 2026
    today = care_rows(birthday_criteria("today"), TODAY)
    week = care_rows(birthday_criteria("week"), TODAY)
    month = care_rows(birthday_criteria("month"), TODAY)
    # Then each list holds exactly who celebrates in its window, with the day they celebrate
    assert [(row.customer.name, row.birthday_on) for row in today] == [
        ("李娟", datetime.date(2026, 3, 3)), ("王强", datetime.date(2026, 3, 3))]
    assert names(week) == ["李娟", "王强", "张伟"]
    assert [(row.customer.name, row.birthday_on) for row in month] == [
        ("李娟", datetime.date(2026, 3, 3)), ("王强", datetime.date(2026, 3, 3)), ("张伟", datetime.date(2026, 3, 6)),
        ("赵敏", datetime.date(2026, 3, 1)), ("陈晨", datetime.date(2026, 3, 31))]
    assert birthday_counts(TODAY) == {"today": 2, "week": 3, "month": 5}


def test_a_lunar_birthday_is_not_on_its_solar_date(birthdays: dict[str, Customer]) -> None:
    # Given 李娟 keeps her lunar birthday, when the list of 1 March 2026 (her solar birth date) is produced
    rows = care_rows(birthday_criteria("today"), datetime.date(2026, 3, 1))
    # Then only 赵敏, born on a solar 1 March, is on it
    assert names(rows) == ["赵敏"]


def _order(customer: Customer, total: str, status: str, days_ago: int) -> Order:
    order = Order.objects.create(customer=customer, number=f"T{Order.objects.count() + 1}", status=status,
                                 total=Decimal(total), recipient=customer.name, recipient_phone="13800138000")
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - datetime.timedelta(days=days_ago))
    return order


@pytest.fixture
def base(db: None) -> dict[str, Customer]:
    vip = make_customer("钱多多", "13700000001", level="vip", preferences="保健,厨具")
    regular = make_customer("孙小美", "13700000002", "f", preferences="美容")
    dormant = make_customer("李四", "13700000003", preferences="保健")
    beijing = make_customer("周五", "13700000004")
    beijing.addresses.update(province="北京", city="北京")
    _order(vip, "1200.00", "settled", 10)
    _order(vip, "300.00", "delivered", 40)
    _order(vip, "999.00", "cancelled", 1)  # cancelled: neither spend nor a last order
    _order(regular, "398.00", "delivered", 5)
    _order(regular, "500.00", "returned", 6)  # returned: not spent
    _order(dormant, "150.00", "settled", 200)
    return {"vip": vip, "regular": regular, "dormant": dormant, "beijing": beijing}


@pytest.mark.parametrize(("fields", "expected"), [
    ({"level": "vip"}, ["钱多多"]),
    ({"min_spend": Decimal("1000")}, ["钱多多"]),
    ({"min_spend": Decimal("100"), "max_spend": Decimal("400")}, ["孙小美", "李四"]),
    ({"ordered_within_days": 7}, ["孙小美"]),
    ({"no_order_for_days": 90}, ["李四", "周五"]),
    ({"province": "广东省"}, ["钱多多", "孙小美", "李四"]),
    ({"province": "北京"}, ["周五"]),
    ({"preference": "保健"}, ["钱多多", "李四"]),
    ({"preference": "保健", "no_order_for_days": 90}, ["李四"]),
])
def test_saved_criteria_select_exactly_the_matching_customers(base: dict[str, Customer], fields: dict[str, Any],
                                                              expected: list[str]) -> None:
    criteria = CareCriteria(name="test", **fields)
    assert [customer.name for customer in criteria_customers(criteria)] == expected


def test_spend_and_last_order_are_computed_per_customer(base: dict[str, Customer]) -> None:
    found = {c.name: (getattr(c, "spend"), getattr(c, "last_order_at") is not None)  # noqa: B009 (annotations)
             for c in criteria_customers(CareCriteria(name="all"))}
    assert found == {"钱多多": (Decimal("1500.00"), True), "孙小美": (Decimal("398.00"), True),
                     "李四": (Decimal("150.00"), True), "周五": (Decimal("0.00"), False)}


def test_criteria_are_checked_and_a_refusal_saves_nothing(users: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as refused:
        do_save_criteria(CareCriteria(name="x", min_spend=Decimal("500"), max_spend=Decimal("100")),
                         actor=users["supervisor"])
    assert refused.value.message_dict == {"max_spend": ["The upper limit is below the lower one."]}
    with pytest.raises(ValidationError) as blank:
        do_save_criteria(CareCriteria(name="  "), actor=users["supervisor"])
    assert blank.value.message_dict == {"name": ["This field cannot be blank."]}
    with pytest.raises(PermissionDenied):
        do_save_criteria(CareCriteria(name="agents may not"), actor=users["agent"])
    assert CareCriteria.objects.count() == 0


def _list_of(customers: list[Customer], actor: Any) -> CareList:
    from hotline.crm.care import CareRow

    return do_produce_list(CareCriteria(name="测试名单"), [CareRow(c) for c in customers], actor=actor,
                           title="测试名单")


def test_greeting_fans_out_by_level_and_preference(base: dict[str, Customer], users: dict[str, Any]) -> None:
    # Given rules: VIPs get a call, lovers of 保健 an e-mail; 周五 wants no messages; 李四 has no e-mail address
    GreetingRule.objects.create(position=1, level="vip", channel="call", message="{salutation}生日快乐，来电问候")
    GreetingRule.objects.create(position=2, preference="保健", channel="email", message="{name}，祝您健康！")
    Customer.objects.filter(pk=base["beijing"].pk).update(notify_channel="none")
    Customer.objects.filter(pk=base["regular"].pk).update(email="xm@example.cn")
    care_list = _list_of([base["vip"], base["regular"], base["dormant"], base["beijing"]], users["supervisor"])
    # When the supervisor greets the whole list
    counts = do_greet_list(care_list, actor=users["supervisor"])
    # Then the VIP gets a call task, the others an SMS (李四's e-mail rule falls back to SMS: no address)
    assert counts == {"call": 1, "sms": 2, "": 1}
    assert list(CareTask.objects.values_list("customer__name", "script", "status")) == [
        ("钱多多", "钱先生生日快乐，来电问候", "open")]
    assert list(Notification.objects.order_by("customer_id").values_list("customer__name", "channel", "recipient",
                                                                         "body", "event")) == [
        ("孙小美", "sms", "13700000002", "孙女士, warm regards from all of us at the shopping hotline!",
         "care_greeting"),
        ("李四", "sms", "13700000003", "李四，祝您健康！", "care_greeting")]
    assert list(care_list.entries.order_by("id").values_list("customer__name", "channel", "outcome")) == [
        ("钱多多", "call", "Call task created"), ("孙小美", "sms", "Message queued"),
        ("李四", "sms", "Message queued"), ("周五", "", "Wants no messages")]
    # The customers' own notification channel is unchanged
    assert Customer.objects.get(pk=base["regular"].pk).notify_channel == "sms"
    # And greeting again greets nobody twice
    assert do_greet_list(care_list, actor=users["supervisor"]) == {}
    assert (Notification.objects.count(), CareTask.objects.count()) == (2, 1)


def test_an_email_rule_sends_an_email_to_who_has_an_address(base: dict[str, Customer], users: dict[str, Any]) -> None:
    GreetingRule.objects.create(position=1, preference="美容", channel="email", message="{salutation}，生日快乐")
    Customer.objects.filter(pk=base["regular"].pk).update(email="xm@example.cn")
    regular = Customer.objects.get(pk=base["regular"].pk)
    assert greeting_for(regular, list(GreetingRule.objects.all())) == ("email", "孙女士，生日快乐")
    do_greet_list(_list_of([regular], users["supervisor"]), actor=users["supervisor"])
    assert list(Notification.objects.values_list("channel", "recipient", "body")) == [
        ("email", "xm@example.cn", "孙女士，生日快乐")]


def test_scheduled_criteria_are_produced_once_on_their_day(base: dict[str, Customer]) -> None:
    daily = CareCriteria.objects.create(name="每日保健", preference="保健", schedule="daily")
    CareCriteria.objects.create(name="每周", schedule="weekly")
    CareCriteria.objects.create(name="按需", level="vip")
    tuesday = timezone.make_aware(datetime.datetime(2026, 3, 3, 9, 0))
    # When the worker ticks twice on a Tuesday
    assert produce_scheduled(tuesday) == 1
    assert produce_scheduled(tuesday + datetime.timedelta(minutes=1)) == 0
    # Then the daily list was produced once, as a job, with its customers
    produced = CareList.objects.get()
    assert (produced.criteria, produced.size, Job.objects.get().status) == (daily, 2, "done")
    assert sorted(produced.entries.values_list("customer__name", flat=True)) == ["李四", "钱多多"]
