"""End to end in headless Chromium: the wallboard shows an agent who is ready while the seat's phone is not
registered as "就绪·话机离线", apart from "就绪", turns them plain ready the moment the phone registers
(a real REGISTER), and lets the supervisor set a paused agent ready again. Web server, engine, phone and
browser all run live in this process; the ORM is used only outside the browser block."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from hotline.calls.commands import do_agent_log_in, do_set_agent_state
from hotline.calls.models import Queue
from hotline.calls.seats import do_create_seat
from hotline.telephony.events import AgentState
from tests import livetest

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests"  # every factory user's password
SEAT_USER, SEAT_PASSWORD = "8001", "s3cret-pass"
WAIT_MS = 20_000
ROW = "#agents tbody tr:has-text('李娜')"
BADGE = ROW + " .agent-state"


def badge(page: Any) -> tuple[str | None, str | None, str | None]:
    element = page.locator(BADGE)
    return element.get_attribute("data-state"), element.get_attribute("data-phone"), element.text_content()


def badge_is(page: Any, state: str, phone: str) -> None:
    """Wait until the agent's badge shows `state` with the phone `phone` (online/offline)."""
    try:
        page.wait_for_selector(f"{BADGE}[data-state={state}][data-phone={phone}]", timeout=WAIT_MS)
    except PlaywrightTimeout:
        seen = page.evaluate("() => JSON.stringify(window.hotlineWallboard.floor.agents)")
        pytest.fail(f"no {state}/{phone} badge after {WAIT_MS} ms; the board's agents: {seen}")


def test_the_wallboard_shows_ready_phone_offline_until_the_phone_registers_and_sets_an_agent_ready(
        users: dict[str, Any], tmp_path: Path) -> None:
    # given an agent 李娜 signed in and ready at seat A-01, whose phone has not registered
    agent, supervisor = users["agent"], users["supervisor"]
    agent.first_name = "李娜"
    agent.save()
    Queue.objects.create(name="orders", label="订购")
    seat = do_create_seat("A-01", SEAT_USER, SEAT_PASSWORD, actor=users["admin"])
    seen: dict[str, Any] = {}
    with ExitStack() as stack:
        base = stack.enter_context(livetest.serving())
        engine = stack.enter_context(livetest.engine_running())
        assert engine.engine is not None
        do_agent_log_in(seat, actor=agent)
        do_set_agent_state(True, actor=agent)
        lab = stack.enter_context(livetest.SipLab(engine.engine.sip_address))
        browser = stack.enter_context(livetest.chromium())
        board = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        livetest.log_in(board, base, supervisor.username, PASSWORD)
        board.goto(f"{base}/wallboard/")
        # when the supervisor looks at the board, then the agent is "ready, phone offline"
        badge_is(board, "ready", "offline")
        seen["offline"] = badge(board)
        seen["queues"] = board.locator("#queues tbody td:first-child").all_text_contents()
        board.screenshot(path=str(tmp_path / "wallboard-phone-offline.png"), full_page=True)
        seen["offline_colour"] = board.eval_on_selector(BADGE, "(b) => getComputedStyle(b).backgroundColor")
        # when the seat's phone registers, then the badge turns plain ready at once
        lab.register_agent(SEAT_USER, SEAT_PASSWORD)
        badge_is(board, "ready", "online")
        seen["online"] = badge(board)
        seen["online_colour"] = board.eval_on_selector(BADGE, "(b) => getComputedStyle(b).backgroundColor")
        texts = board.evaluate("() => JSON.parse(document.getElementById('wallboard-config').textContent).texts")
        # when the supervisor pauses the agent and then sets them ready again from the agent's row
        board.locator(ROW).get_by_role("button", name=texts["not_ready"]).click()
        badge_is(board, "not_ready", "online")
        seen["paused"] = engine.engine.dispatcher.agent(agent.username).state
        board.locator(ROW).get_by_role("button", name=texts["ready"]).click()
        badge_is(board, "ready", "online")
        seen["ready"] = engine.engine.dispatcher.agent(agent.username).state
        seen["banner"] = board.locator("#wb-error").is_hidden()
    assert seen["offline"] == ("ready", "offline", "就绪·话机离线")
    assert seen["online"] == ("ready", "online", "就绪")
    assert seen["offline_colour"] != seen["online_colour"]
    assert seen["queues"] == ["订购"]
    assert (seen["paused"], seen["ready"], seen["banner"]) == (AgentState.NOT_READY, AgentState.READY, True)
