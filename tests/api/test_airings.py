"""Airings over the API: station and day filters; spend only for those who may see it."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from tests import factories

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def schedule(world):  # type: ignore[no-untyped-def]
    """Hunan airs on the 23rd at 20:00 and the 24th at 00:10 and 23:50; Zhejiang on the 24th at 21:00."""
    zhejiang = factories.make_station("zhejiang", "浙江卫视")
    return {
        "hunan_23": factories.make_airing(world.station, at(23, 20), product=world.product),
        "hunan_24_early": factories.make_airing(world.station, at(24, 0, 10)),
        "hunan_24_late": factories.make_airing(world.station, at(24, 23, 50)),
        "zhejiang_24": factories.make_airing(zhejiang, at(24, 21), cost="8000.00"),
    }


def _ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.json()
    return [a["id"] for a in response.json()["items"]]


def test_list_is_latest_first(schedule, as_role):
    assert _ids(as_role("agent").get("/api/airings")) == [
        schedule[k].pk for k in ("hunan_24_late", "zhejiang_24", "hunan_24_early", "hunan_23")]


def test_filter_by_station_and_local_day(schedule, as_role):
    api = as_role("agent")
    # a local day runs from 00:00 to 24:00 Beijing time, whatever UTC says
    assert _ids(api.get("/api/airings", station="hunan", date="2026-11-24")) == [
        schedule["hunan_24_late"].pk, schedule["hunan_24_early"].pk]
    assert _ids(api.get("/api/airings", date_from="2026-11-23", date_to="2026-11-23")) == [schedule["hunan_23"].pk]
    assert _ids(api.get("/api/airings", station="zhejiang")) == [schedule["zhejiang_24"].pk]
    assert _ids(api.get("/api/airings", product_id=schedule["hunan_23"].product_id)) == [schedule["hunan_23"].pk]


def test_one_airing_with_its_station_and_product(schedule, as_role, world):
    body = as_role("agent").get(f"/api/airings/{schedule['hunan_23'].pk}").json()
    assert body["station"] == {"id": world.station.pk, "code": "hunan", "name": "湖南卫视", "channel": ""}
    assert body["product"]["name"] == "颈椎按摩仪"
    assert (body["starts_at"], body["ends_at"], body["length_seconds"]) == (
        "2026-11-23T12:00:00Z", "2026-11-23T12:02:00Z", 120)


@pytest.mark.parametrize(("query", "errors"), [
    ({"station": "cctv"}, {"station": ["Unknown station “cctv”."]}),
    ({"date": "2026-13-01"}, {"date": ["Enter a valid date."]}),
    ({"product_id": "abc"}, {"product_id": ["Enter a whole number."]}),
])
def test_bad_filters_are_422(schedule, as_role, query, errors):
    response = as_role("agent").get("/api/airings", **query)
    assert (response.status_code, response.json()) == (422, {"errors": errors})


@pytest.mark.parametrize(("role", "sees_spend"), [
    ("agent", False), ("supervisor", False), ("finance", True), ("manager", True), ("admin", True),
])
def test_spot_cost_is_shown_only_to_roles_that_may_see_spend(schedule, as_role, role, sees_spend):
    body = as_role(role).get(f"/api/airings/{schedule['zhejiang_24'].pk}").json()
    assert body.get("cost", "absent") == ("8000.00" if sees_spend else "absent")


def test_an_unknown_airing_is_404(world, as_role):
    response = as_role("agent").get("/api/airings/99999")
    assert (response.status_code, response.json()) == (404, {"detail": "Airing #99999 does not exist."})
