"""`hotline loaddemo`: fill an empty database with the demo data set (see hotline/demo/loader.py)."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from hotline.demo.data import DEMO_PASSWORD
from hotline.demo.loader import (
    MAX_CUSTOMERS,
    DemoOptions,
    erase_all_data,
    existing_data,
    load_demo,
    pending_migrations,
)


class Command(BaseCommand):
    help = ("Load realistic Chinese demo data into an empty database: users for every role, 50 products, "
            "5 TV stations with a week of airings, customers and orders in every status, couriers, parcels with "
            "their tracking events, and a stock ledger.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=10_000,
                            help="Number of customers (default 10,000; 1,000,000 for benchmarks).")
        parser.add_argument("--orders", type=int, default=5_000,
                            help="Number of orders in the demo week (default 5,000); customers on file also "
                                 "bring their orders of the year before.")
        parser.add_argument("--calls", type=int, default=None,
                            help="Calls in the week's event log, with their airing surges, IVR steps, queues and "
                                 "agent shifts (default: 3 per order, 15,000 for the default 5,000 orders); 0: none.")
        parser.add_argument("--seed", type=int, default=1, help="The same seed gives the same data (default 1).")
        parser.add_argument("--now", default="",
                            help="ISO date-time the week of data ends at (default: now), for reproducible data.")
        parser.add_argument("--batch-size", type=int, default=5_000, help="Rows per bulk insert (default 5,000).")
        parser.add_argument("--force", action="store_true",
                            help="ERASE everything in the database first, then load (for a database that "
                                 "already holds data).")

    def handle(self, *args: Any, **options: Any) -> None:
        demo = self._options(options)
        if pending_migrations():
            raise CommandError("The database is not migrated. Run `hotline migrate` first.")
        found = existing_data()
        if found and not options["force"]:
            listing = ", ".join(f"{count:,} {name}" for name, count in found.items())
            raise CommandError(f"The database already holds data ({listing}); loaddemo only fills an empty "
                               "database. Use --force to ERASE everything in it and load the demo data.")
        if found:
            self.stdout.write("Erasing the existing data (--force)…")
            erase_all_data()
        self.stdout.write(f"Loading demo data: {demo.customers:,} customers, {demo.orders:,} orders, "
                          f"{demo.calls:,} calls, seed {demo.seed} into {settings.DATABASES['default']['NAME']}")
        report = load_demo(demo, progress=lambda message: self.stdout.write(f"  {message}"))
        summary = ", ".join(f"{count:,} {name}" for name, count in report.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Loaded in {report.seconds:.1f} s: {summary}."))
        self.stdout.write(f"Every demo login has the password {DEMO_PASSWORD!r}.")

    def _options(self, options: dict[str, Any]) -> DemoOptions:
        if not 1 <= options["customers"] <= MAX_CUSTOMERS:
            raise CommandError(f"--customers must be between 1 and {MAX_CUSTOMERS:,}.")
        if options["orders"] < 0:
            raise CommandError("--orders cannot be negative.")
        calls = 3 * options["orders"] if options["calls"] is None else options["calls"]
        if calls < 0:
            raise CommandError("--calls cannot be negative.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        return DemoOptions(customers=options["customers"], orders=options["orders"], seed=options["seed"],
                           now=_parse_now(options["now"]), batch_size=options["batch_size"], calls=calls)


def _parse_now(text: str) -> datetime.datetime | None:
    """An ISO date-time; one without a zone is read in the project's time zone."""
    if not text:
        return None
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--now must be an ISO date-time such as 2026-11-24T20:00; got {text!r}.") from exc
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
