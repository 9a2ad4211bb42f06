"""Notification tests speak English, the language customers get when it is the site default."""

import pytest


@pytest.fixture(autouse=True)
def _in_english(english: None) -> None:
    """Every test here asserts English messages."""
