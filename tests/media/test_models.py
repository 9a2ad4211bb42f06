"""How media rows present themselves on screens."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_an_airing_is_named_by_its_station_and_local_start_time(world: Any) -> None:
    airing = factories.make_airing(world.station, datetime.datetime(2026, 11, 25, 0, 25, tzinfo=datetime.UTC))
    assert str(airing).endswith(" 2026-11-25 08:25")  # Asia/Shanghai, as every screen shows times
