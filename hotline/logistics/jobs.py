"""Logistics' job kinds, loaded at start-up by the web app and the worker (docs/jobs.md)."""

from hotline.logistics import (
    feedback_jobs,  # noqa: F401  (registers "logistics.feedback_check" and "_apply")
    print_jobs,  # noqa: F401  (registers "logistics.print")
)
