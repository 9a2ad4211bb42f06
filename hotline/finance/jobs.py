"""Finance's job kinds, loaded by `hotline.jobs` at start-up (every app's `jobs.py` is), so that a separate
`hotline worker` process knows them as well as the web process does."""

from hotline.finance import freight_jobs, remittance_jobs  # noqa: F401
