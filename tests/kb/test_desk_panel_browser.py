"""The desk's knowledge base panel in headless Chromium, in Chinese: before the agent types it suggests the
articles of the product on air; F6 goes to the search, the agent types 退货, ↓ moves to the second article,
Enter opens it in the panel (counted as opened) and "this answered it" is counted.

Chromium is never skipped: a missing browser fails the test.
"""

from __future__ import annotations

import datetime
from contextlib import ExitStack
from typing import Any

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from hotline.kb.models import Article, ArticleUse
from tests import factories, livetest
from tests.kb.kbdata import publish

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_MS = 20_000
PASSWORD = "pw-for-tests"
OPTIONS = "() => Array.from(document.querySelectorAll('#kb-results li[role=option]')).map((li) => li.textContent)"


def _wait(page: Any, script: str, arg: object = None) -> None:
    try:
        page.wait_for_function(script, arg=arg, timeout=WAIT_MS)
    except PlaywrightTimeout:
        seen = page.evaluate("() => (document.getElementById('kb-panel') || document.body).innerText")
        pytest.fail(f"not true after {WAIT_MS} ms: {script} (arg {arg!r}); the panel shows:\n{seen}")


def _walk_the_panel(base: str, username: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    with livetest.chromium() as browser:
        page = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900}).new_page()
        livetest.log_in(page, base, username, PASSWORD)
        page.goto(f"{base}/desk/")
        _wait(page, "() => document.querySelectorAll('#kb-results li[role=option]').length > 0")
        seen["suggested"] = page.evaluate(OPTIONS)
        seen["for"] = page.text_content("#kb-results .kb-for")
        page.keyboard.press("F6")
        seen["focused"] = page.evaluate("() => document.activeElement.id")
        page.keyboard.type("退货")
        _wait(page, "() => window.hotlineKb.searches > 0 && document.getElementById('kb-results').dataset.shown"
                    " === '退货'")
        seen["found"] = page.evaluate(OPTIONS)
        page.keyboard.press("ArrowDown")
        seen["selected"] = page.text_content("#kb-results li.selected")
        page.keyboard.press("Enter")
        _wait(page, "() => document.querySelector('#kb-article h3') !== null")
        seen["opened"] = page.text_content("#kb-article h3")
        page.click("#kb-answered-btn")
        _wait(page, "() => window.hotlineKb.answered.length === 1")
        seen["answered_text"] = page.text_content("#kb-answered-result")
        seen["button_disabled"] = page.is_disabled("#kb-answered-btn")
    return seen


def test_the_panel_suggests_searches_opens_and_counts(users) -> None:
    supervisor = users["supervisor"]
    station = factories.make_station()
    product = factories.make_product("颈椎按摩仪", "398.00", short_code="801")
    factories.make_airing(station, starts_at=timezone.now() - datetime.timedelta(seconds=30), length_seconds=600,
                          product=product)
    publish(supervisor, "按摩仪怎么充电？", "<p>用随附的 USB 线充电。</p>", products=(product,))
    refund = publish(supervisor, "如何办理退货手续？", "<p>签收后七天内可退货。</p>")
    pan = publish(supervisor, "炒锅可以退货吗？", "<p>未使用可退。</p>")
    # the refund article was more useful last time: it ranks first among equal matches
    from hotline.kb.actions import do_count_use

    do_count_use(refund, "answered", actor=users["agent"])
    with ExitStack() as stack:
        base = stack.enter_context(livetest.serving())
        seen = _walk_the_panel(base, users["agent"].username)
    assert seen["suggested"] == ["按摩仪怎么充电？", "如何办理退货手续？ ✓1"]
    with translation.override("zh-hans"):  # "For 颈椎按摩仪" in Chinese: 颈椎按摩仪 相关 once the catalogue has it
        assert seen["for"] == gettext("For %(name)s") % {"name": "颈椎按摩仪"}
    assert seen["focused"] == "kb-q"
    assert seen["found"] == ["如何办理退货手续？ ✓1", "炒锅可以退货吗？"]
    assert seen["selected"] == "炒锅可以退货吗？"
    assert seen["opened"] == "炒锅可以退货吗？"
    assert seen["button_disabled"] is True
    use = ArticleUse.objects.get(article=pan)
    assert (use.opens, use.answered) == (1, 1)
    pan = Article.objects.get(pk=pan.pk)
    assert (pan.opens, pan.answered) == (1, 1)
