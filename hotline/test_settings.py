"""Settings for the test suite: the normal settings with the testing flag set first."""

import os

os.environ["HOTLINE_TESTING"] = "1"

from hotline.settings import *  # noqa: F403
