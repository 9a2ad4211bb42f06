"""Stored flows take the barge-in and silent-pass keys (issue 11); bad values are refused, translated."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from hotline.ivrdata.actions import do_save_flow
from hotline.ivrdata.models import IvrFlow
from hotline.ivrdata.problems import FIELD_PROBLEMS
from hotline.telephony.ivr.loader import FIELD_REASONS
from hotline.telephony.ivr.model import Menu, Play

pytestmark = pytest.mark.usefixtures("english")


def flow_yaml(notice: str = "interruptible: false", menu: str = "no_input_passes: 2") -> str:
    return f"""\
name: sales
start: notice
nodes:
  notice:
    type: play
    prompts: [welcome]
    next: menu
    {notice}
  menu:
    type: menu
    prompts: [main_menu]
    options: {{"1": sales}}
    fallback: sales
    {menu}
  sales:
    type: queue
    queue: orders
"""


def refusal(yaml: str, users: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        do_save_flow(IvrFlow(name="sales", definition=yaml), actor=users["admin"])
    assert IvrFlow.objects.count() == 0
    return refused.value.message_dict["definition"]


def test_a_flow_with_a_notice_that_cannot_be_interrupted_and_two_silent_passes_is_stored(
        users: dict[str, Any]) -> None:
    do_save_flow(IvrFlow(name="sales", definition=flow_yaml()), actor=users["admin"])
    flow = IvrFlow.objects.get().parse()
    notice, menu = flow.node("notice"), flow.node("menu")
    assert isinstance(notice, Play) and isinstance(menu, Menu)
    assert (notice.interruptible, menu.interruptible, menu.no_input_passes) == (False, True, 2)


def test_bad_values_of_the_new_keys_are_refused_naming_node_and_field(users: dict[str, Any]) -> None:
    assert refusal(flow_yaml(notice='interruptible: "no"', menu="no_input_passes: 0"), users) == [
        "The flow is not valid: node 'notice': 'interruptible' must be true or false; "
        "node 'menu': 'no_input_passes' must be a whole number from 1 to 99"]


def test_the_refusal_is_translated_field_by_field(users: dict[str, Any]) -> None:
    with translation.override("zh-hans"):
        messages = refusal(flow_yaml(notice="interruptable: false", menu="no_input_passes: 100"), users)
    assert messages == ["流程无效：节点“notice”：类型“play”没有字段“interruptable”；"
                        "节点“menu”：“no_input_passes”必须是 1 到 99 之间的整数"]


def test_every_field_problem_of_the_loader_has_a_translatable_message_with_the_same_english() -> None:
    assert set(FIELD_PROBLEMS) == set(FIELD_REASONS)
    with translation.override("en"):
        assert all(str(FIELD_PROBLEMS[template]) == template for template in FIELD_REASONS)
