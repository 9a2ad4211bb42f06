"""A seat locked by the registrar for password guessing reaches the supervisors' wallboard as a banner: the
engine's `SeatLocked` goes through the engine bus (`BusEventBus`) to the floor group and the wallboard."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest
from django.utils import translation

from hotline.calls.host.events import BusEventBus
from hotline.telephony.events import SeatLocked
from tests.desk.test_consumers import live_reset  # noqa: F401  (autouse fixture)
from tests.wallboard.test_consumer import WAIT, open_wallboard

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_locked_seat_is_shown_to_supervisors_as_a_banner(users: dict[str, Any]) -> None:
    locked = SeatLocked(at=datetime.datetime(2026, 11, 25, 3, 0, tzinfo=datetime.UTC), mono=1.0, username="8001",
                        seat="A-01", source="203.0.113.9", seconds=600.0)

    async def scenario() -> dict[str, Any]:
        socket, _, _ = await open_wallboard(users["supervisor"])
        await socket.receive_json_from(timeout=WAIT)  # the snapshot
        await BusEventBus().publish("security", locked)
        received: dict[str, Any] = await socket.receive_json_from(timeout=WAIT)
        await socket.disconnect()
        return received

    with translation.override("zh-hans"):  # the site's language, whatever an earlier test left active
        received = asyncio.run(scenario())
    assert received == {
        "id": 2, "type": "alert",
        "text": ("座席 A-01（SIP 用户 8001）因密码错误次数过多已锁定 10 分钟，最后一次来自 203.0.113.9。"
                 "请检查话机，或查明是谁在猜密码。"),
    }
