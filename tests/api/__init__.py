import pytest

# helpers.py holds assertions (nothing_written) that should explain themselves when they fail
pytest.register_assert_rewrite("tests.api.helpers")
