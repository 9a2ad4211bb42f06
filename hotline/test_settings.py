"""Settings for the test suite: the normal settings with the testing flag set first."""

import os
import tempfile
from pathlib import Path

os.environ["HOTLINE_TESTING"] = "1"

from hotline.settings import *  # noqa: F403
from hotline.settings import DATABASES

# Role users are made in many tests; the production hasher would spend a good part of a second on each.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A file, not :memory:, so that tests with threads (concurrent order numbering) see real SQLite locking
# (WAL, busy timeout) instead of the shared-cache table locks of an in-memory database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("HOTLINE_TEST_SQLITE") or os.path.join(
            tempfile.gettempdir(), f"hotline-test-{os.getpid()}.sqlite3")
    }

# Files the code writes during tests (recordings, uploaded and active prompts) go to a folder of this
# test process, never into the working copy's data folder.
DATA_DIR = Path(tempfile.gettempdir()) / f"hotline-test-data-{os.getpid()}"
MEDIA_ROOT = DATA_DIR / "media"

# Jobs run at once, inside the request that starts them, unless a test queues them for a real worker
# (settings.HOTLINE_JOBS_BACKEND = "database": tests/jobs/test_worker.py).
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend"},
}
