"""`hotline manage rebuildfacts [--from DATE] [--to DATE]`: rewrite the report facts from the call event log."""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from hotline.reports.facts import rebuild_facts


class Command(BaseCommand):
    help = ("Rewrite the report facts (calls, queue visits, agent handlings) of every call that arrived in the "
            "period from the call event log: after a queue's service-level or short-abandon threshold changed, or "
            "for calls logged before the facts existed. Dates are local days; --to is included.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", default="", help="First day (YYYY-MM-DD); default: the first call.")
        parser.add_argument("--to", dest="end", default="", help="Last day, included (YYYY-MM-DD); default: today.")

    def handle(self, *args: Any, **options: Any) -> None:
        start = _day(options["start"], "--from")
        last = _day(options["end"], "--to")
        end = None if last is None else last + datetime.timedelta(days=1)
        if start is not None and end is not None and end <= start:
            raise CommandError("--to is before --from.")
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"  {done:,} of {total:,} calls ({time.perf_counter() - started:.1f} s)")

        written = rebuild_facts(start, end, progress=progress)
        self.stdout.write(self.style.SUCCESS(
            f"Rebuilt the facts of {written:,} calls in {time.perf_counter() - started:.1f} s."))


def _day(text: str, option: str) -> datetime.datetime | None:
    """Local midnight of an ISO date, or None when not given."""
    if not text:
        return None
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{option} must be a date such as 2026-11-24; got {text!r}.") from exc
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
