"""Job tests: the job pages' URLs (tests/jobs/urls.py) for every test here."""

from __future__ import annotations

import pytest

JOB_URLS = "tests.jobs.urls"


@pytest.fixture(autouse=True)
def job_urls(settings):  # type: ignore[no-untyped-def]
    settings.ROOT_URLCONF = JOB_URLS
