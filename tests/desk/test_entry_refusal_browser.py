"""A refusal that names no field, in headless Chromium and in Chinese: the desk answers it in the REST API's
shape (`{"detail": …}`) and the page shows those words under the order form. The page talks to a live server.

Chromium is never skipped: a missing browser fails the test.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection

from hotline.accounts.models import Role, User
from hotline.orders.models import Order
from tests import livetest

from .test_order_outside_a_call import ERRORS, WAIT_MS, _add_product, _choose_customer, _open_desk, _wait

pytestmark = pytest.mark.django_db(transaction=True)


def _move_to_logistics(user: User) -> None:
    # Playwright's sync API runs an event loop on this thread, where Django refuses the ORM: write elsewhere.
    def move() -> None:
        try:
            User.objects.filter(pk=user.pk).update(role=Role.LOGISTICS)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(move).result()


def refused_after_a_role_change(world: SimpleNamespace) -> dict[str, Any]:
    with ExitStack() as stack:
        base = stack.enter_context(livetest.serving())
        browser = stack.enter_context(livetest.chromium())
        page = _open_desk(browser, base, world.agent.username)
        _choose_customer(page, "138 0013 8000", "王小明")
        with page.expect_response(lambda response: response.url.endswith("/desk/quote"), timeout=WAIT_MS):
            _add_product(page, "801")
        # while the order is typed, an administrator moves the agent to logistics, who may not take orders
        _move_to_logistics(world.agent)
        with page.expect_response(lambda response: response.url.endswith("/desk/orders"),
                                  timeout=WAIT_MS) as answer:
            page.click("#btn-submit")
        _wait(page, "() => !document.querySelector('#btn-submit').disabled")  # the answer is shown
        return {"status": answer.value.status, "body": answer.value.json(), "shown": page.evaluate(ERRORS)}


def test_a_refusal_without_a_field_is_shown_in_the_words_the_server_sent(call_world: SimpleNamespace) -> None:
    seen = refused_after_a_role_change(call_world)
    assert (seen["status"], seen["body"]) == (403, {"detail": "您无权执行此操作。"})
    assert seen["shown"] == ["您无权执行此操作。"]
    assert Order.objects.count() == 0
