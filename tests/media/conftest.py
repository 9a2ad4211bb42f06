"""Media tests run in English."""

import pytest


@pytest.fixture(autouse=True)
def _in_english(english: None) -> None:
    """Every test here asserts English messages."""
