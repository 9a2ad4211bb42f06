"""Order tests speak English, including the messages customers get (the site default language)."""

import pytest


@pytest.fixture(autouse=True)
def _in_english(english: None) -> None:
    """Every test here asserts English messages."""
