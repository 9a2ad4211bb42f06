"""Migration 0002: stored menus keep their old number of silent passes (1 + retries), comments and all."""

from __future__ import annotations

import importlib

from hotline.telephony.ivr.loader import load_flow_yaml
from hotline.telephony.ivr.model import Menu

migration = importlib.import_module("hotline.ivrdata.migrations.0002_keep_silent_passes")

STORED = """\
name: sales
start: menu
nodes:
  # the main menu
  menu:
    type: menu
    prompts: [main_menu]
    options: {"1": sales, "9": again}
    retries: 1
    fallback: sales
  again:
    type: "menu"  # same again
    prompts: [main_menu]
    options: {"1": sales, "2": quick}
    fallback: sales
  quick:
    type: menu
    prompts: [main_menu]
    options: {"1": sales}
    no_input_passes: 1
    fallback: sales
  sales:
    type: queue
    queue: orders
"""


def test_each_menu_without_the_key_gets_one_pass_more_than_its_retries_in_place() -> None:
    changed = migration.keep_silent_passes(STORED)
    assert changed == STORED.replace("    type: menu\n    prompts: [main_menu]\n    options: {\"1\": sales, \"9\"",
                                     "    type: menu\n    no_input_passes: 2\n    prompts: [main_menu]\n"
                                     "    options: {\"1\": sales, \"9\"").replace(
        '    type: "menu"  # same again\n', '    type: "menu"  # same again\n    no_input_passes: 3\n')
    menus = {name: node.no_input_passes for name, node in load_flow_yaml(changed).nodes.items()
             if isinstance(node, Menu)}
    assert menus == {"menu": 2, "again": 3, "quick": 1}


def test_flows_with_nothing_to_add_or_that_cannot_be_edited_in_place_are_left_alone() -> None:
    done = migration.keep_silent_passes(STORED)
    assert migration.keep_silent_passes(done) is None  # every menu has the key now
    flow_style = "name: t\nstart: m\nnodes: {m: {type: menu, prompts: [x], options: {1: z}, fallback: z}}\n"
    assert migration.keep_silent_passes(flow_style) is None
    assert migration.keep_silent_passes("name: [unclosed") is None
