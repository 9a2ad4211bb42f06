"""Helper tests run in English, so that validation messages can be asserted exactly."""

import pytest


@pytest.fixture(autouse=True)
def _in_english(english: None) -> None:
    """Every test here asserts English messages."""
