"""A small demo data set, loaded as `hotline loaddemo` would, at a fixed moment so results are exact."""

from __future__ import annotations

import datetime

import pytest

from hotline.demo.loader import DemoOptions, LoadReport, load_demo

NOW = datetime.datetime(2026, 11, 24, 20, 45, tzinfo=datetime.UTC)
SMALL = DemoOptions(customers=200, orders=300, seed=7, now=NOW, batch_size=64)


@pytest.fixture
def demo(db) -> LoadReport:  # type: ignore[no-untyped-def]
    """200 customers and 300 orders (plus exchange replacements), in batches small enough to cross batches."""
    return load_demo(SMALL)
