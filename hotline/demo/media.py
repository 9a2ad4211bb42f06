"""Demo TV media: stations, their hotline numbers, a week of airings, and attribution in memory.

Orders are generated in memory before anything is written, so the attribution rule of
`hotline.media.queries.attribute` is mirrored here (`AttributionIndex`); a test checks every demo
order against the real query.
"""

from __future__ import annotations

import bisect
import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from hotline.calls.models import Queue
from hotline.demo import data
from hotline.demo.catalogue import Catalogue
from hotline.media.models import Airing, HotlineNumber, Station

DAYS = 7
# Local start times of the shopping slots a station may sell us on a day.
SLOT_TIMES = ((8, 0), (9, 30), (11, 0), (12, 30), (14, 0), (15, 30), (17, 0), (19, 0), (20, 30), (22, 0),
              (23, 15))  # fmt: skip
# Spots (seconds) and longer shopping programmes; programmes are bought at a lower rate per minute.
LENGTHS = (60, 90, 120, 180, 600, 900, 1200, 1800)
LENGTH_WEIGHTS = (20, 10, 20, 10, 12, 12, 8, 8)
LIVE_MINUTES_AGO = 8


@dataclass(frozen=True)
class PlannedAiring:
    """An airing decided in memory; `id` is the primary key it will be written with."""

    id: int
    station_id: int
    starts_at: datetime.datetime
    length_seconds: int
    product_id: int
    cost: Decimal

    @property
    def ends_at(self) -> datetime.datetime:
        return self.starts_at + datetime.timedelta(seconds=self.length_seconds)


@dataclass
class Media:
    """Stations, hotline numbers (number id -> station id, None when shared) and airings."""

    station_ids: list[int]
    hotlines: dict[int, int | None]
    airings: list[PlannedAiring] = field(default_factory=list)


def create_stations() -> Media:
    """Write the stations and their hotline numbers, plus the number all stations share.

    Every number puts its airings' callers straight through to the order queue (a short welcome, no menu),
    so a call to the live airing's number reaches an agent at once (needs the queues: create_call_center).
    """
    stations = Station.objects.bulk_create([Station(code=code, name=name, channel=channel)
                                            for code, name, channel, _number, _rate in data.STATIONS])
    orders = Queue.objects.get(name="orders")
    numbers = [HotlineNumber(number=number, station=station, description=f"{station.name} {station.channel}",
                             skip_menu_during_airing=True, airing_queue=orders)
               for station, (_c, _n, _ch, number, _r) in zip(stations, data.STATIONS, strict=True)]
    numbers.append(HotlineNumber(number=data.SHARED_NUMBER[0], station=None, description=data.SHARED_NUMBER[1],
                                 skip_menu_during_airing=True, airing_queue=orders))
    numbers = HotlineNumber.objects.bulk_create(numbers)
    return Media(station_ids=[s.pk for s in stations], hotlines={n.pk: n.station_id for n in numbers})


def plan_airings(rng: random.Random, media: Media, catalogue: Catalogue, now: datetime.datetime) -> None:
    """A week of airings up to `now`, several per station per day, and one on the first station that is
    on air right now (so a call to its number during the demo is attributed)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    today = now.astimezone(zone).date()
    featured = [p.id for p in catalogue.sellable()]
    planned: list[tuple[datetime.datetime, int, int, int, Decimal]] = []
    for day_offset in range(DAYS - 1, -1, -1):
        day = today - datetime.timedelta(days=day_offset)
        for station_index, station_id in enumerate(media.station_ids):
            products = rng.sample(featured, 3)  # a station pushes a few products all day
            for hour, minute in sorted(rng.sample(SLOT_TIMES, rng.randint(6, 9))):
                start = datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
                start += datetime.timedelta(minutes=rng.randint(0, 20))
                length = rng.choices(LENGTHS, LENGTH_WEIGHTS)[0]
                planned.append((start, station_id, length, rng.choice(products), _cost(station_index, start, length)))
    planned = [row for row in planned if row[0] + datetime.timedelta(seconds=row[2]) <= now]
    planned = _add_live_airing(planned, media, catalogue, now.astimezone(zone))
    planned.sort(key=lambda row: (row[0], row[1]))
    media.airings = [PlannedAiring(i + 1, station, start.astimezone(datetime.UTC), length, product, cost)
                     for i, (start, station, length, product, cost) in enumerate(planned)]


def _cost(station_index: int, start: datetime.datetime, length: int) -> Decimal:
    """Rate per minute of the station, dearer at prime time, cheaper for long programmes; whole hundreds."""
    rate = data.STATIONS[station_index][4]
    factor = 2.0 if 19 <= start.hour < 22 else 0.6 if start.hour >= 22 else 1.0
    minutes = max(1.0, length / 60)
    if length >= 600:
        factor *= 0.25
    return Decimal(round(rate * minutes * factor / 100) * 100)


def _add_live_airing(planned: list[tuple[datetime.datetime, int, int, int, Decimal]], media: Media,
                     catalogue: Catalogue, now: datetime.datetime,
                     ) -> list[tuple[datetime.datetime, int, int, int, Decimal]]:
    station_id = media.station_ids[0]
    start = now.replace(second=0, microsecond=0) - datetime.timedelta(minutes=LIVE_MINUTES_AGO)
    # Drop the first station's airings that would overlap the live one.
    kept = [row for row in planned if row[1] != station_id or row[0] + datetime.timedelta(seconds=row[2]) <= start]
    kept.append((start, station_id, 1800, catalogue.products["101"].id, _cost(0, start, 1800)))
    return kept


def write_airings(media: Media, catalogue: Catalogue) -> None:
    """Insert the planned airings with their ids (orders point at them before they are written)."""
    Airing.objects.bulk_create([
        Airing(id=a.id, station_id=a.station_id, starts_at=a.starts_at, length_seconds=a.length_seconds,
               ends_at=a.ends_at, product_id=a.product_id, cost=a.cost,
               title=f"{catalogue.by_id(a.product_id).name}·{'购物专题' if a.length_seconds >= 600 else '广告'}")
        for a in media.airings], batch_size=1000)


class AttributionIndex:
    """`hotline.media.queries.attribute` over the planned airings: the latest airing (by start, then id)
    that started at or before the moment and ended no more than the window before it."""

    def __init__(self, airings: list[PlannedAiring], window: datetime.timedelta) -> None:
        self.window = window
        self.longest = datetime.timedelta(seconds=max((a.length_seconds for a in airings), default=0))
        self.all = sorted(airings, key=lambda a: (a.starts_at, a.id))
        self.by_station: dict[int, list[PlannedAiring]] = {}
        for airing in self.all:
            self.by_station.setdefault(airing.station_id, []).append(airing)

    def attribute(self, station_id: int | None, at: datetime.datetime) -> PlannedAiring | None:
        """The airing an order at `at` on a number of `station_id` (None: shared number) belongs to."""
        airings = self.all if station_id is None else self.by_station.get(station_id, [])
        position = bisect.bisect_right(airings, at, key=lambda a: a.starts_at)
        earliest_possible = at - self.window - self.longest
        for airing in reversed(airings[:position]):
            if airing.starts_at < earliest_possible:
                break
            if airing.ends_at >= at - self.window:
                return airing
        return None
